"""The operators' reply form with files (the /ui-traffic inbox): read the files within the
thread's limits, store them as staff uploads for the reply to claim."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from demo_sessions.attachments import http as attachment_http
from demo_sessions.attachments.services import attachment_upload, attachments_discard
from demo_sessions.attachments.uploads import ParsedUpload
from demo_sessions.models import Uploader

from .models import Ticket

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
