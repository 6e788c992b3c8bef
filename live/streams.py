"""Server-sent event streams (SPEC §10), served by the ASGI app as async handlers.

    GET /api/v1/demo/sessions/{id}/events     the session owner's stream (Bearer token)
    GET /api/admin/support/events[?ticket=N]  the staff stream (staff token or inbox session)

These routes are dispatched by `support_project.asgi` before Django's (sync) middleware chain:
through it every open stream would park a thread for its whole life. Authorization and the
`Last-Event-ID` replay run briefly on the hub's database thread; after that an open stream is a
queue in the hub and this coroutine — no thread, no connection. Every event carries
`id: <txid>-<seq>`; a client that reconnects with that `Last-Event-ID` gets every later event
exactly once (replayed from the table up to where the hub stood when it subscribed, then live).
Presence events are ephemeral and carry no id. Errors are the SPEC envelope, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from support_project.txid import decode_position, encode_position

from . import access, selectors
from .hub import Hub, Presence, Subscriber, get_hub
from .models import Kind
from .presence import presence_list
from .registry import registry
from .selectors import Row

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

CUSTOMER_PATH = re.compile(r"^/api/v1/demo/sessions/([^/]*)/events/?$")
STAFF_PATH = re.compile(r"^/api/admin/support/events/?$")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
RETRY_MS = 2000


def is_live_path(path: str) -> bool:
    return bool(CUSTOMER_PATH.match(path) or STAFF_PATH.match(path))


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        out[raw_name.decode("latin-1").lower()] = raw_value.decode("latin-1")
    return out


def _frame(row: Row, *, staff: bool) -> bytes:
    frame = row.frames.get(staff)
    if frame is None:
        frame = row.frames[staff] = _encode(row, staff=staff)
    return frame


def _encode(row: Row, *, staff: bool) -> bytes:
    data = row.data
    if row.kind == Kind.BALANCE:
        micros = int(data["balance_micros"])
        data = {"virtual_balance_usd": registry.usd(micros) if registry.usd else str(micros / 1_000_000)}
    if staff:
        data = {**data, **row.staff_data, "agent_id": row.agent_id}
    body = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))
    return f"id: {encode_position(row.txid, row.seq)}\nevent: {row.kind}\ndata: {body}\n\n".encode()


def _presence_frame(presence: Presence) -> bytes:
    body = json.dumps({"ticket": presence.ticket, "user": presence.user, "name": presence.name,
                       "state": presence.state}, separators=(",", ":"))
    return f"event: presence\ndata: {body}\n\n".encode()


class LiveEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        supplied = headers.get("x-request-id", "")
        request_id = supplied if _SANE_REQUEST_ID.match(supplied) else f"req_{secrets.token_hex(12)}"
        if scope["method"] not in ("GET", "HEAD"):
            await _refuse(send, request_id, access.StreamRefused(
                405, "METHOD_NOT_ALLOWED", f"Method \"{scope['method']}\" not allowed."), allow="GET, HEAD")
            return
        last_event_id = headers.get("last-event-id", "").strip()
        after = decode_position(last_event_id) if last_event_id else None
        if last_event_id and after is None:
            await _refuse(send, request_id, access.StreamRefused(
                400, "VALIDATION_ERROR", "Last-Event-ID is not an event id this stream sent.",
                {"Last-Event-ID": ["Expected <txid>-<seq>, as sent in an event's id: line."]}))
            return
        hub = await get_hub().started()
        try:
            subscriber = await hub.db(_authorize, scope["path"], headers, scope.get("query_string", b""))
        except access.StreamRefused as refused:
            await _refuse(send, request_id, refused)
            return
        await _stream(hub, subscriber, after=after, head=scope["method"] == "HEAD",
                      request_id=request_id, receive=receive, send=send)


def _authorize(path: str, headers: dict[str, str], query_string: bytes) -> Subscriber:
    customer = CUSTOMER_PATH.match(path)
    if customer is not None:
        got = access.customer_access(authorization=headers.get("authorization", ""), session_id=customer.group(1))
        return Subscriber(agent_id=got.agent_id, topics=got.topics)
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a mangled Cookie header is no session
        cookies = SimpleCookie()
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    ticket = parse_qs(query_string.decode("latin-1")).get("ticket", [""])[0]
    staff = access.staff_access(authorization=headers.get("authorization", ""),
                                session_key=morsel.value if morsel else "", ticket=ticket)
    return Subscriber(agent_id=None, ticket=staff.ticket, user=staff.username)


async def _refuse(send: Send, request_id: str, refused: access.StreamRefused, allow: str = "") -> None:
    body = json.dumps({"code": refused.code, "message": refused.message, "details": refused.details,
                       "request_id": request_id}).encode()
    headers = [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode()),
               (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
    if refused.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="api"'))
    if allow:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(hub: Hub, subscriber: Subscriber, *, after: tuple[int, int] | None, head: bool,
                  request_id: str, receive: Receive, send: Send) -> None:
    staff = subscriber.agent_id is None
    upto = hub.subscribe(subscriber)
    try:
        backlog: list[Row] = []
        complete = True
        if after is not None and after < upto:
            backlog, complete = await hub.db(selectors.replay, after=after, upto=upto, agent_id=subscriber.agent_id,
                                             topics=subscriber.topics, ticket=subscriber.ticket)
        present = await hub.db(presence_list, ticket_number=subscriber.ticket[0]) if subscriber.ticket else []
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"), (b"x-content-type-options", b"nosniff"),
            (b"x-request-id", request_id.encode()),
        ]})
        if head:
            await send({"type": "http.response.body", "body": b""})
            return
        last = after or (0, 0)
        opening = [f"retry: {RETRY_MS}\n\n".encode()]
        if not complete:
            opening.append(b'event: resync\ndata: {"reason":"too_far_behind"}\n\n')
        for row in backlog:
            opening.append(_frame(row, staff=staff))
            last = row.position
        if not complete:
            last = max(last, upto)
        opening.extend(_presence_frame(Presence(**p)) for p in present if p["user"] != subscriber.user)
        await send({"type": "http.response.body", "body": b"".join(opening), "more_body": True})
        await _pump(subscriber, last, receive, send)
    except OSError:
        pass  # the client went away mid-write
    finally:
        hub.unsubscribe(subscriber)


async def _pump(subscriber: Subscriber, last: tuple[int, int], receive: Receive, send: Send) -> None:
    keepalive = float(getattr(settings, "LIVE_KEEPALIVE_SECONDS", 15.0))
    disconnected = asyncio.ensure_future(_until_disconnect(receive))
    getter: asyncio.Future[Any] | None = None
    try:
        while True:
            if getter is None:
                getter = asyncio.ensure_future(subscriber.queue.get())
            done, _ = await asyncio.wait({getter, disconnected}, timeout=keepalive,
                                         return_when=asyncio.FIRST_COMPLETED)
            if disconnected in done:
                return
            if getter not in done:
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
                continue
            items = [getter.result()]
            getter = None
            while not subscriber.queue.empty():
                items.append(subscriber.queue.get_nowait())
            chunks = []
            for item in items:
                if isinstance(item, Presence):
                    chunks.append(_presence_frame(item))
                elif item.position > last:  # a replayed row can also arrive live: send it once
                    chunks.append(_frame(item, staff=subscriber.agent_id is None))
                    last = item.position
            if chunks:
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
            if subscriber.overflowed:  # too far behind: end; the client resumes with Last-Event-ID
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
    finally:
        for future in (getter, disconnected):
            if future is not None and not future.done():
                future.cancel()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
