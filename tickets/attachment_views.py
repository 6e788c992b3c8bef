"""The staff-only routes of the /ui-traffic inbox that serve a thread's files: downloads, and
inline thumbnails for raster images. Pages use the staff session (no bearer token in a browser).
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from demo_sessions.attachments import http as attachment_http
from demo_sessions.attachments.files import INLINE_IMAGE_TYPES
from demo_sessions.attachments.selectors import attachment_get_for_staff
from demo_sessions.models import Attachment
from support_project.domain import NotFound

from .views import staff_required


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
