"""Body limits for the few routes that take files (SPEC §10); every other /api/ route keeps 64 KiB.

`upload_body_limit(path)` is the one list: the WSGI/ASGI body guard middleware lets these paths
through up to their own limit, and `UploadBodyLimit` enforces it in front of Django under ASGI —
where Django would otherwise buffer a whole request body before any middleware or upload handler
runs. It answers 413 on a declared Content-Length that can't fit, before reading a byte, and cuts
a chunked body off as soon as it passes the limit.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings

# Framing around the file(s): boundaries, part headers, a CSRF token, an inbox reply's text.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

_SINGLE_FILE_ROUTES = (
    re.compile(r"^/api/v1/demo/sessions/[^/]+/attachments$"),
    re.compile(r"^/api/admin/support/tickets/[^/]+/attachments$"),
)
_INBOX_REPLY = re.compile(r"^/ui-traffic/tickets/[^/]+/reply$")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Any, Any, Any], Awaitable[None]]  # loose: Django's ASGIHandler types its args narrowly


def upload_body_limit(path: str) -> int | None:
    """The largest body `path` accepts when it is an upload route, else None."""
    if any(p.match(path) for p in _SINGLE_FILE_ROUTES):
        return settings.ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
    if _INBOX_REPLY.match(path):
        return settings.ATTACHMENT_MAX_PER_MESSAGE * settings.ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
    return None


class UploadBodyLimit:
    """ASGI middleware in front of Django for the upload routes only."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = upload_body_limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_413(scope, send)
            return
        received = 0
        tripped = False

        async def limited_receive() -> Message:
            nonlocal received, tripped
            if tripped:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django sees a client that went away: it stops reading and answers nothing.
                    tripped = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, send)
        if tripped:
            await _send_413(scope, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(scope: Scope, send: Send) -> None:
    supplied = next((v.decode("latin-1") for n, v in scope.get("headers", []) if n.lower() == b"x-request-id"), "")
    request_id = supplied if _SANE_REQUEST_ID.match(supplied) else f"req_{secrets.token_hex(12)}"
    limit = settings.ATTACHMENT_MAX_BYTES
    body = json.dumps({
        "code": "PAYLOAD_TOO_LARGE",
        "message": f"The upload is larger than the limit of {limit} bytes ({limit / 1048576:g} MiB) per file; "
                   "nothing was stored.",
        "details": {"file": [f"Ensure the file has at most {limit} bytes."]},
        "request_id": request_id,
    }).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()), (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})
