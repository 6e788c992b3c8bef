"""Request bodies at the ASGI edge, before Django reads anything (issue 16 items 4 and 5).

Django's ASGI handler reads the whole body (spooling past 2.5 MB to a temp file) before any
middleware runs, and waits as long as the client likes for a body it was promised. So:

* a declared `Content-Length` over the route's limit is `413` at once, nothing read;
* a body that doesn't arrive within `REQUEST_BODY_TIMEOUT_SECONDS` is `408`;
* a chunked body (no `Content-Length`) is read up to the limit and `413` past it; within it, it
  reaches Django with the `Content-Length` it turned out to have (DRF reads a request without
  one as empty);
* refusals carry `Connection: close`, so the server stops reading the rest of the body.

The limit is `API_MAX_BODY_BYTES` (64 KiB, SPEC §1) unless the view the path resolves to sets
`max_body_bytes` (an upload route, for instance). Bodies within the limit are buffered in memory,
which is no more than Django holds itself.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

from support_project.api.upload_limits import upload_body_limit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE"})


def body_limit_for(path: str) -> int:
    """The route's own `max_body_bytes` if it declares one, else the API-wide limit."""
    default = int(settings.API_MAX_BODY_BYTES)
    upload = upload_body_limit(path)  # the attachment upload routes (SPEC §10) and the inbox reply form
    if upload is not None:
        return upload
    try:
        match = resolve(path)
    except Resolver404:
        return default
    view = match.func
    owner = getattr(view, "cls", None) or getattr(view, "view_class", None) or view
    return int(getattr(owner, "max_body_bytes", default))


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope.get("headers", []) if key.lower() == name]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        is_chunked = any(b"chunked" in value.lower() for value in _header(scope, b"transfer-encoding"))
        if not declared and not is_chunked and scope["method"] in _BODYLESS:
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope["path"])
        if declared and not is_chunked:
            try:
                length = int(declared[0])
            except ValueError:
                length = -1  # the HTTP server rejects these itself; never reached in practice
            if length > limit:
                await _refuse(scope, send, 413, "PAYLOAD_TOO_LARGE", _too_large_message(limit))
                return
        body = await self._read(scope, receive, send, limit)
        if body is None:
            return
        if not declared or is_chunked:
            scope = dict(scope)
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k.lower() not in (b"content-length", b"transfer-encoding")
            ] + [(b"content-length", str(len(body)).encode())]
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive, send: Send, limit: int) -> bytes | None:
        timeout = float(settings.REQUEST_BODY_TIMEOUT_SECONDS)
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await _refuse(scope, send, 408, "REQUEST_TIMEOUT",
                              f"The request body did not arrive within {timeout:g} s.")
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(scope, send, 413, "PAYLOAD_TOO_LARGE", _too_large_message(limit))
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # only http.disconnect can follow

    return replay


def _too_large_message(limit: int) -> str:
    if limit % 1024 == 0:
        return f"The request body is larger than {limit // 1024} KiB."
    return f"The request body is larger than {limit} bytes."


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    supplied = (_header(scope, b"x-request-id") or [b""])[0].decode("latin-1")
    request_id = supplied if _SANE_REQUEST_ID.match(supplied) else f"req_{secrets.token_hex(12)}"
    body = json.dumps({"code": code, "message": message, "details": {}, "request_id": request_id}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()), (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})
