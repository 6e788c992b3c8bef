"""Small files sent inline as base64 (the MCP / chat tool `append_support_message`).

Same rules as a multipart upload — file name, content type allow-list, per-file and per-ticket
limits — with a lower per-file limit (ATTACHMENT_INLINE_MAX_BYTES) because a tool call is one
JSON body.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings

from support_project.domain import InvalidInput

from ..models import DemoSession, Uploader
from .files import filename_problem
from .received import ReceivedFile, too_large
from .services import attachment_upload, attachments_discard

MAX_INLINE_FILES = 3
T = TypeVar("T")


def inline_base64_max_chars() -> int:
    return -(-settings.ATTACHMENT_INLINE_MAX_BYTES // 3) * 4


def decode_inline_file(*, index: int, item: dict[str, Any]) -> ReceivedFile:
    where = f"attachments[{index}]"
    problem = filename_problem(item["filename"])
    if problem is not None:
        raise InvalidInput(problem, details={f"{where}.filename": [problem]})
    raw = item["content_base64"]
    if len(raw) > inline_base64_max_chars():
        raise too_large(settings.ATTACHMENT_INLINE_MAX_BYTES, "inline file")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(details={f"{where}.content_base64": ["Not valid base64."]}) from exc
    if not data:
        raise InvalidInput("The file is empty.", details={f"{where}.content_base64": ["The file is empty."]})
    if len(data) > settings.ATTACHMENT_INLINE_MAX_BYTES:
        raise too_large(settings.ATTACHMENT_INLINE_MAX_BYTES, "inline file")
    return ReceivedFile.from_bytes(filename=item["filename"], declared_type=item.get("content_type") or "",
                                   data=data)


def with_inline_attachments(*, session: DemoSession, items: Sequence[dict[str, Any]],
                            post: Callable[[list[str]], T]) -> T:
    """Store each inline file as an upload of `session`, then run `post(ids)` (the message
    append); if anything fails, the uploads made here are deleted again."""
    received = [decode_inline_file(index=i, item=item) for i, item in enumerate(items)]
    ids: list[str] = []
    try:
        for one in received:
            stored = attachment_upload(session=session, received=one, uploader=Uploader.CUSTOMER)
            ids.append(stored.body["id"])
        return post(ids)
    except BaseException:
        attachments_discard(attachment_ids=ids)
        raise
    finally:
        for one in received:
            one.close()
