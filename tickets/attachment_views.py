"""Attachments on the /ui-traffic inbox: operators' files on replies and internal notes, and the
staff-only routes that serve a thread's files (downloads, and inline thumbnails for raster images).

Pages use the staff session (no bearer token in a browser), so these routes sit beside the inbox.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from demo_sessions.attachments import http as attachment_http
from demo_sessions.attachments.files import INLINE_IMAGE_TYPES
from demo_sessions.attachments.selectors import attachment_get_for_staff
from demo_sessions.attachments.services import attachment_upload, attachments_discard
from demo_sessions.attachments.uploads import ParsedUpload
from demo_sessions.models import Attachment, Uploader
from support_project.api.errors import NotFound

from .models import Ticket
from .views import staff_required

FILES_FIELD = "files"


def read_reply_files(request: HttpRequest, *, ticket: Ticket) -> ParsedUpload | None:
    """The reply form's files (multipart only), streamed within the thread's limits; None for a
    plain form. Must run before anything reads request.POST."""
    if not request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        return None
    return attachment_http.read_inbox_files(request, session=ticket.support_session, field=FILES_FIELD)


def store_reply_files(*, parsed: ParsedUpload | None, ticket: Ticket, staff_user: Any) -> list[str]:
    """Store the reply's files as staff uploads of the thread; their ids, for the reply to claim."""
    ids: list[str] = []
    if parsed is None:
        return ids
    try:
        for received in parsed.files:
            stored = attachment_upload(session=ticket.support_session, received=received, uploader=Uploader.STAFF,
                                       staff_user=staff_user)
            ids.append(stored.body["id"])
    except BaseException:
        attachments_discard(attachment_ids=ids)
        raise
    return ids


def _staff_attachment(attachment_id: str) -> Attachment:
    try:
        return attachment_get_for_staff(attachment_id=attachment_id)
    except NotFound as exc:
        raise Http404("No such attachment.") from exc


@never_cache
@require_GET
@staff_required
def attachment_download(request: HttpRequest, attachment_id: str) -> FileResponse:
    return attachment_http.download_response(_staff_attachment(attachment_id))


@never_cache
@require_GET
@staff_required
def attachment_preview(request: HttpRequest, attachment_id: str) -> FileResponse:
    """A raster image inline (the thread's thumbnails); anything else is not previewable."""
    attachment = _staff_attachment(attachment_id)
    if attachment.content_type not in INLINE_IMAGE_TYPES:
        raise Http404("No preview for this file type.")
    return attachment_http.download_response(attachment, inline_image=True)
