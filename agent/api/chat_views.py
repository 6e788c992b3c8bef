"""POST /api/v1/demo/chat: one Enrich Agent turn (SPEC §4.2, §5). The rules live in chat.service."""

from __future__ import annotations

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Scope
from accounts.permissions import require_scope
from accounts.viewsets import ApiView
from billing import idempotency
from billing.idempotency import StoredResponse
from billing.paywall import to_response
from demo_sessions.serializers import MessageOut
from support_project.api.serializers import StrictCharField, StrictSerializer, validate_body

from ..chat.service import chat_turn

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class ChatIn(StrictSerializer):
    session_id = StrictCharField(required=False, allow_null=True,
                                 help_text="An enrich session of yours (32 hex); omit to start a new chat.")
    message = StrictCharField(max_length=10_000, help_text="1–10,000 characters.")

    def validate_session_id(self, value: str | None) -> str | None:
        if value is not None and not SESSION_ID.match(value):
            raise serializers.ValidationError("Must be a session id: 32 lowercase hex characters.")
        return value


class ToolCallOut(serializers.Serializer):
    name = serializers.CharField()
    arguments = serializers.JSONField()
    result = serializers.DictField(allow_null=True)
    error = serializers.DictField(allow_null=True)


class ChatOut(serializers.Serializer):
    session_id = serializers.CharField()
    messages = MessageOut(many=True)
    tool_calls = ToolCallOut(many=True)
    ticket = serializers.DictField(allow_null=True)


class ChatView(ApiView):
    permission_classes = [require_scope(Scope.CHAT)]  # SPEC §10: chat turns need `chat`

    @extend_schema(
        summary="One Enrich Agent turn in an enrich chat (409 SUPPORT_THREAD_NO_LLM on a support thread)",
        request=ChatIn, responses=ChatOut,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="≤255 chars; a retried turn replays its first answer for 24 h")],
    )
    def post(self, request: Request) -> Response:
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        data = validate_body(ChatIn, request.data)

        def turn() -> StoredResponse:
            result = chat_turn(
                principal=self.principal, session_id=data.get("session_id"), message=data["message"],
                base_url=request.build_absolute_uri("/").rstrip("/"),
            )
            ticket = {k: v for k, v in result.ticket.items() if k != "replayed"} if result.ticket else None
            body = {
                "session_id": result.session.id,
                "messages": MessageOut(result.messages, many=True).data,
                "tool_calls": [call.as_json() for call in result.tool_calls],
                "ticket": ticket,
            }
            return StoredResponse(200, json.loads(json.dumps(body, cls=DjangoJSONEncoder)))

        if key is None:
            return to_response(turn())
        # A retried turn (same key and body) replays the first answer: no second message, no second charge.
        fp = idempotency.fingerprint(method="POST", path=request.path, body=request.data)
        return to_response(idempotency.run_once(agent_id=self.agent.id, key=key, fp=fp, work=turn))
