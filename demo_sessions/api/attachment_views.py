"""Attachment routes (SPEC §10): upload into a support thread you own, download as owner or staff.

Thin adapters over `demo_sessions.attachments`: the upload body is never parsed by DRF (the
counting upload handler reads it), so the parser listed here only documents the schema.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope
from accounts.permissions import require_scope
from accounts.principal import Principal
from billing.paywall import to_response

from .. import selectors
from ..attachments import http as attachment_http
from ..attachments.selectors import attachment_get_for_agent, attachment_get_for_staff
from ..models import Uploader
from .serializers import AttachmentOut, AttachmentUploadIn

IDEMPOTENCY_HEADER = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                      description="≤255 chars; a retried upload replays the first answer for 24 h")


class SupportOwnerOrStaff(BasePermission):
    """Downloads: the owning agent (admin bearer, or a usage key with `support`) or any staff token."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if isinstance(request.auth, Principal) and request.auth.is_staff:
            return True
        return require_scope(Scope.SUPPORT)().has_permission(request, view)


class IgnoreAccept(BaseContentNegotiation):
    """A download answers bytes whatever Accept says; errors are still JSON."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class SessionAttachmentsView(APIView):
    permission_classes = [require_scope(Scope.SUPPORT)]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="demo_sessions_attachments_create",
        summary="Upload a file into one of your support threads (free); attach it with the next message",
        request={"multipart/form-data": AttachmentUploadIn}, parameters=[IDEMPOTENCY_HEADER],
        responses={201: AttachmentOut, 413: OpenApiResponse(description="PAYLOAD_TOO_LARGE: over the per-file "
                                                                         "or per-ticket limit")},
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = selectors.session_get_for_agent(agent=request.auth.agent, session_id=session_id)
        stored = attachment_http.upload_from_request(request._request, session=session, uploader=Uploader.CUSTOMER)
        return to_response(stored)


class AttachmentDownloadView(APIView):
    permission_classes = [SupportOwnerOrStaff]
    content_negotiation_class = IgnoreAccept

    @extend_schema(
        operation_id="attachments_download",
        summary="Download an attachment (its owner, or staff); always as a download, never rendered",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, attachment_id: str) -> FileResponse:
        principal: Principal = request.auth
        if principal.is_staff:
            attachment = attachment_get_for_staff(attachment_id=attachment_id)
        else:
            assert principal.agent is not None
            attachment = attachment_get_for_agent(agent=principal.agent, attachment_id=attachment_id)
        return attachment_http.download_response(attachment)



