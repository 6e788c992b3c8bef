"""GET /api/v1/attachments/{id} (SPEC §10): the owner's or staff's download, never rendered."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import Scope
from accounts.permissions import require_scope
from accounts.principal import Principal
from accounts.viewsets import ApiViewSet

from ..attachments.http import download_response
from ..attachments.selectors import attachment_get_for_agent, attachment_get_for_staff


class SupportOwnerOrStaff(BasePermission):
    """The owning agent (admin bearer, or a usage key with `support`) or any staff token."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if isinstance(request.auth, Principal) and request.auth.is_staff:
            return True
        return bool(require_scope(Scope.SUPPORT)().has_permission(request, view))


class IgnoreAccept(BaseContentNegotiation):
    """A download answers bytes whatever Accept says; errors are still JSON."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class AttachmentViewSet(ApiViewSet):
    # /api/v1/attachments/{attachment_id}: download only (uploads go to a thread's `attachments`).

    permission_classes = [SupportOwnerOrStaff]
    content_negotiation_class = IgnoreAccept
    lookup_url_kwarg = "attachment_id"

    @extend_schema(
        operation_id="attachments_download",
        summary="Download an attachment (its owner, or staff); always as a download, never rendered",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def retrieve(self, request: Request, attachment_id: str) -> FileResponse:
        if self.principal.is_staff:
            return download_response(attachment_get_for_staff(attachment_id=attachment_id))
        return download_response(attachment_get_for_agent(agent=self.agent, attachment_id=attachment_id))
