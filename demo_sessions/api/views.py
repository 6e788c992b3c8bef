"""Demo-session API (SPEC §4.2): the /demo sidebar, session transcripts, free follow-up messages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Scope
from accounts.permissions import require_principal_scope, require_scope
from accounts.viewsets import ApiViewSet
from billing.api.idempotent import IdempotentMixin
from billing.paywall import to_response
from support_project.api.pagination import paginate
from support_project.api.serializers import validate_body, validate_query

from .. import selectors, services
from ..attachments.http import upload_from_request
from ..models import DemoSession, SessionKind, Uploader
from ..serializers import AttachmentOut, MessageOut, SessionDetailOut, SessionOut
from .serializers import AttachmentUploadIn, MessageCreateIn, SessionCreateIn, SessionListParams, SessionPageOut

IDEMPOTENCY_HEADER = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                      description="≤255 chars; a retried upload replays the first answer for 24 h")

# SPEC §10: enrich sessions need `chat`, support threads need `support`.
SCOPE_OF_KIND = {SessionKind.ENRICH: Scope.CHAT, SessionKind.SUPPORT: Scope.SUPPORT}


class SessionViewSet(IdempotentMixin, ApiViewSet):
    # /api/v1/demo/sessions[/{session_id}[/messages]].

    permission_classes = [require_scope(Scope.CHAT, Scope.SUPPORT)]
    lookup_url_kwarg = "session_id"
    idempotent_actions = frozenset({"create", "messages"})

    @extend_schema(
        summary="Your sessions, most recent activity first (the /demo sidebar)",
        operation_id="demo_sessions_list",
        parameters=[OpenApiParameter("kind", str, enum=["support", "enrich"]), OpenApiParameter("limit", int),
                    OpenApiParameter("cursor", str)],
        responses=SessionPageOut,
    )
    def list(self, request: Request) -> Response:
        params = validate_query(SessionListParams, request.query_params)
        kind = params.get("kind")
        if kind is not None:
            require_principal_scope(self.principal, SCOPE_OF_KIND[kind])
        else:  # only the kinds this key may see (an admin bearer sees both)
            visible = [k for k, scope in SCOPE_OF_KIND.items() if self.principal.has_any_scope(scope)]
            kind = visible[0] if len(visible) == 1 else None
        page = paginate(
            selectors.session_list_for_agent(agent=self.agent, kind=kind),
            params=request.query_params, order=("-last_activity_at", "-id"),
            serialize=lambda rows: SessionOut(rows, many=True).data,
        )
        return Response(page)

    @extend_schema(summary="Start an enrich chat", request=SessionCreateIn, responses={201: SessionOut})
    def create(self, request: Request) -> Response:
        require_principal_scope(self.principal, Scope.CHAT)
        data = validate_body(SessionCreateIn, request.data if request.data is not None else {})
        session = services.enrich_session_create(agent=self.agent, title=data.get("title", ""))
        return Response(SessionOut(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="A session and its messages (never internal notes)", responses=SessionDetailOut)
    def retrieve(self, request: Request, session_id: str) -> Response:
        session = self._session(session_id)
        messages = MessageOut(selectors.public_messages(session=session), many=True).data
        return Response({**SessionOut(session).data, "messages": messages})

    @extend_schema(summary="Post a message (free); in a support thread it follows the ticket's status rules",
                   request=MessageCreateIn, responses={201: MessageOut})
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, session_id: str) -> Response:
        session = self._session(session_id)
        data = validate_body(MessageCreateIn, request.data)
        message = services.session_message_post(session=session, text=data["text"],
                                                attachment_ids=data["attachments"])
        return Response(MessageOut(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="demo_sessions_attachments_create",
        summary="Upload a file into one of your support threads (free); attach it with the next message",
        request={"multipart/form-data": AttachmentUploadIn}, parameters=[IDEMPOTENCY_HEADER],
        responses={201: AttachmentOut, 413: OpenApiResponse(description="PAYLOAD_TOO_LARGE: over the per-file "
                                                                         "or per-ticket limit")},
    )
    @action(detail=True, methods=["post"], permission_classes=[require_scope(Scope.SUPPORT)],
            parser_classes=[MultiPartParser])
    def attachments(self, request: Request, session_id: str) -> Response:
        # Not in `idempotent_actions`: the mixin would parse the body with Django's own handlers.
        # The counting upload handler streams it within the limits (after the session is known to
        # be ours) and the upload claims its Idempotency-Key on the file's digest.
        session = self._session(session_id)
        stored = upload_from_request(request._request, session=session, uploader=Uploader.CUSTOMER)
        return to_response(stored)

    def _session(self, session_id: str) -> DemoSession:
        # Ownership first (another agent's session is 404 whatever the scopes), then the scope.
        session = selectors.session_get_for_agent(agent=self.agent, session_id=session_id)
        require_principal_scope(self.principal, SCOPE_OF_KIND[SessionKind(session.session_kind)])
        return session
