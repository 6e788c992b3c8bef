"""Demo-session API (SPEC §4.2): the /demo sidebar, session transcripts, free follow-up messages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope
from accounts.permissions import require_scope
from support_project.api.pagination import paginate
from support_project.api.serializers import validate_body

from .. import selectors, services
from .serializers import (
    MessageCreateIn,
    MessageOut,
    SessionCreateIn,
    SessionDetailOut,
    SessionListParams,
    SessionOut,
    SessionPageOut,
)

SessionScopes = require_scope(Scope.CHAT, Scope.SUPPORT)


class SessionsView(APIView):
    permission_classes = [SessionScopes]

    @extend_schema(
        summary="Your sessions, most recent activity first (the /demo sidebar)",
        operation_id="demo_sessions_list",
        parameters=[OpenApiParameter("kind", str, enum=["support", "enrich"]), OpenApiParameter("limit", int),
                    OpenApiParameter("cursor", str)],
        responses=SessionPageOut,
    )
    def get(self, request: Request) -> Response:
        params = validate_body(SessionListParams, request.query_params.dict())
        page = paginate(
            selectors.session_list_for_agent(agent=request.auth.agent, kind=params.get("kind")),
            params=request.query_params, order=("-last_activity_at", "-id"),
            serialize=lambda rows: [selectors.session_json(s) for s in rows],
        )
        return Response(page)

    @extend_schema(summary="Start an enrich chat", request=SessionCreateIn, responses={201: SessionOut})
    def post(self, request: Request) -> Response:
        data = validate_body(SessionCreateIn, request.data if request.data is not None else {})
        session = services.enrich_session_create(agent=request.auth.agent, title=data.get("title", ""))
        return Response(selectors.session_json(session), status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    permission_classes = [SessionScopes]

    @extend_schema(summary="A session and its messages (never internal notes)", responses=SessionDetailOut)
    def get(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get_for_agent(agent=request.auth.agent, session_id=session_id)
        messages = [selectors.message_json(m)
                    for m in selectors.public_messages(session=session).prefetch_related("attachments")]
        return Response({**selectors.session_json(session), "messages": messages})


class SessionMessagesView(APIView):
    permission_classes = [SessionScopes]

    @extend_schema(summary="Post a message (free); in a support thread it follows the ticket's status rules",
                   request=MessageCreateIn, responses={201: MessageOut})
    def post(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get_for_agent(agent=request.auth.agent, session_id=session_id)
        data = validate_body(MessageCreateIn, request.data)
        message = services.session_message_post(session=session, text=data["text"],
                                                attachment_ids=data["attachments"])
        return Response(selectors.message_json(message), status=status.HTTP_201_CREATED)
