"""HTTP edges shared by the attachment routes: read one upload from a request, serve a download.

Both are plain functions over Django requests so a view, a viewset action or a page can use them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest

from billing import idempotency
from billing.idempotency import StoredResponse
from support_project.domain import InvalidInput

from ..models import Attachment, DemoSession
from .files import ALLOWED_CONTENT_TYPES, FALLBACK_CONTENT_TYPE, INLINE_IMAGE_TYPES, content_disposition
from .services import attachment_upload, remaining_budget, upload_fingerprint
from .storage import attachment_storage
from .uploads import ParsedUpload, ReceivedFile, read_upload

FILE_FIELD = "file"


def read_single_file(request: HttpRequest, *, session: DemoSession) -> ReceivedFile:
    """The one `file` part of a multipart body, streamed within this thread's limits."""
    parsed = read_upload(
        request, file_fields=(FILE_FIELD,), max_files=1, max_file_bytes=settings.ATTACHMENT_MAX_BYTES,
        max_total_bytes=remaining_budget(session=session), total_label="ticket's attachments total",
    )
    unknown = sorted(parsed.fields)
    if unknown:
        parsed.close()
        raise InvalidInput(details={name: ["Unknown field."] for name in unknown})
    if not parsed.files:
        raise InvalidInput("Send one file in a multipart part named `file`.",
                           details={FILE_FIELD: ["No file was submitted."]})
    return parsed.files[0]


def read_inbox_files(request: HttpRequest, *, session: DemoSession, field: str) -> ParsedUpload:
    """The inbox reply form: its text fields plus up to ATTACHMENT_MAX_PER_MESSAGE files."""
    return read_upload(
        request, file_fields=(field,), max_files=settings.ATTACHMENT_MAX_PER_MESSAGE,
        max_file_bytes=settings.ATTACHMENT_MAX_BYTES, max_total_bytes=remaining_budget(session=session),
        total_label="ticket's attachments total",
    )


def upload_from_request(request: HttpRequest, *, session: DemoSession, uploader: str,
                        staff_user: Any = None) -> StoredResponse:
    """POST …/attachments: Idempotency-Key checked first, then the body streamed, then stored."""
    key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
    received = read_single_file(request, session=session)
    try:
        return attachment_upload(
            session=session, received=received, uploader=uploader, staff_user=staff_user, idempotency_key=key,
            fingerprint=upload_fingerprint(path=request.path, received=received),
        )
    finally:
        received.close()


def download_response(attachment: Attachment, *, inline_image: bool = False) -> FileResponse:
    """The stored bytes as a download that no browser renders: `attachment` disposition, nosniff,
    a sandboxing CSP, and only an allow-listed content type. `inline_image` (staff thumbnails)
    serves raster images inline and everything else still as a download."""
    inline = inline_image and attachment.content_type in INLINE_IMAGE_TYPES
    handle = attachment_storage().open(attachment.storage_key, "rb")
    content_type = attachment.content_type if attachment.content_type in ALLOWED_CONTENT_TYPES else FALLBACK_CONTENT_TYPE
    response = FileResponse(handle, content_type=content_type)
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition(attachment.filename, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["ETag"] = f'"{attachment.sha256}"'
    return response
