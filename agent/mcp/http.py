"""/mcp over streamable HTTP, next to Django in `support_project.asgi:application`.

- Stateless streamable HTTP with JSON responses: any worker answers any request.
- `BearerAuth` in front of the SDK app: admin bearers (`411_…`) and usage keys (`411k_…`); a
  missing or bad token gets 401 with `WWW-Authenticate: Bearer …` and the SPEC §1 envelope, a
  staff token 403. The principal is resolved per request on a worker thread and handed to the
  tool handlers through `server.current_caller`. Calls count against the token's REST rate limit
  (same window, same cache keys): over it → 429 `RATE_LIMITED` with `Retry-After`.
- Host/Origin (DNS-rebinding) protection from `settings.ALLOWED_HOSTS` (+ CSRF_TRUSTED_ORIGINS).
- `McpEndpoint` builds a fresh SDK app on every ASGI lifespan startup (its session manager can
  run only once), so the module-level application can be served, stopped and served again.
"""

from __future__ import annotations

import json
import logging
import re
import secrets

from django.conf import settings
from django.db import DatabaseError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accounts.models import TokenKind
from accounts.principal import Principal
from accounts.selectors import principal_for_token
from support_project.api.throttling import rate_limit_hit

from .server import Caller, build_server, current_caller, run_in_db_thread

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
MAX_BODY_BYTES = 256 * 1024
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TOKEN_HINT = "Send Authorization: Bearer 411_… (an admin bearer) or Bearer 411k_… (a usage key)."


def is_mcp_path(path: str) -> bool:
    return path in (MCP_PATH, MCP_PATH + "/")


def transport_security() -> TransportSecuritySettings:
    """The SDK's Host/Origin allowlist, derived from ALLOWED_HOSTS.

    `example.com` allows that host on any port and the http(s) origins on it; a Django
    sub-domain wildcard `.example.com` allows the bare domain only (the SDK matches exactly);
    `*` switches the check off, as it does for Django.
    """
    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h]
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    allowed_hosts: list[str] = []
    origins: list[str] = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    for host in hosts:
        allowed_hosts += [host, f"{host}:*"]
        origins += [f"{scheme}://{host}{port}" for scheme in ("http", "https") for port in ("", ":*")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts,
                                     allowed_origins=origins)


def request_id_for(headers: Headers) -> str:
    supplied = headers.get("x-request-id", "")
    return supplied if _SANE_REQUEST_ID.match(supplied) else f"req_{secrets.token_hex(12)}"


async def send_error(send: Send, *, status: int, code: str, message: str, request_id: str,
                     www_authenticate: str | None = None, extra_headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"code": code, "message": message, "details": {}, "request_id": request_id},
                      ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"x-request-id", request_id.encode())]
    if www_authenticate:
        headers.append((b"www-authenticate", www_authenticate.encode()))
    headers += [(name.encode(), value.encode()) for name, value in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _www_authenticate(error: str | None = None, description: str = "") -> str:
    value = 'Bearer realm="mcp"'
    if error:
        value += f', error="{error}", error_description="{description}"'
    return value


def _base_url(scope: Scope, headers: Headers) -> str:
    host = headers.get("host") or "127.0.0.1:8000"
    return f"{scope.get('scheme', 'http')}://{host}"


class BearerAuth:
    """Authenticate every HTTP request to /mcp with our own tokens, then call the SDK app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        request_id = request_id_for(headers)
        send = _with_headers(send, {"x-request-id": request_id})
        scheme, _, raw_token = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not raw_token.strip():
            await send_error(send, status=401, code="AUTHENTICATION_REQUIRED", request_id=request_id,
                             message=f"This endpoint needs an agent token. {_TOKEN_HINT}",
                             www_authenticate=_www_authenticate())
            return
        try:
            principal, rate = await run_in_db_thread(_authenticate, raw_token.strip())
        except DatabaseError:
            logger.exception("MCP auth: token lookup failed (request_id=%s)", request_id)
            await send_error(send, status=503, code="SERVICE_UNAVAILABLE", request_id=request_id,
                             message="The database is unavailable; retry later.")
            return
        if principal is None:
            await send_error(send, status=401, code="INVALID_TOKEN", request_id=request_id,
                             message=f"The bearer token is unknown, revoked or malformed. {_TOKEN_HINT}",
                             www_authenticate=_www_authenticate("invalid_token", "unknown, revoked or malformed token"))
            return
        if principal.kind == TokenKind.STAFF or principal.agent is None:
            await send_error(send, status=403, code="INSUFFICIENT_SCOPE", request_id=request_id,
                             message=f"MCP tools act for an agent; staff tokens (411s_…) can't use them. {_TOKEN_HINT}",
                             www_authenticate=_www_authenticate("insufficient_scope", "staff tokens can't use /mcp"))
            return
        if rate is not None:
            limit, remaining, reset_after = rate
            send = _with_headers(send, {"ratelimit-limit": str(limit), "ratelimit-remaining": str(max(0, remaining)),
                                        "ratelimit-reset": str(reset_after)})
            if remaining < 0:
                await send_error(send, status=429, code="RATE_LIMITED", request_id=request_id,
                                 message="Too many requests for this token; slow down.",
                                 extra_headers={"retry-after": str(reset_after)})
                return
        token = current_caller.set(Caller(principal=principal, base_url=_base_url(scope, headers)))
        try:
            await self.app(scope, receive, send)
        finally:
            current_caller.reset(token)


def _authenticate(raw_token: str) -> tuple[Principal | None, tuple[int, int, int] | None]:
    """The principal for a token and, for an agent, its rate-limit window (limit, remaining, reset)."""
    principal = principal_for_token(raw_token=raw_token)
    if principal is None or principal.agent is None:
        return principal, None
    return principal, rate_limit_hit(f"tok:{principal.token_id}", settings.RATE_LIMIT_PER_MINUTE)


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    """Add headers to the response start unless the app already set them."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            added = [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
            message = {**message, "headers": [*message.get("headers", []), *added]}
        await send(message)

    return wrapped


def build_http_app() -> ASGIApp:
    """The SDK's Starlette app for /mcp: stateless, JSON responses, our Host/Origin allowlist."""
    return build_server().streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(),
        max_request_body_size=MAX_BODY_BYTES,
    )


class McpEndpoint:
    """The ASGI endpoint the project's application dispatches /mcp and lifespan events to."""

    def __init__(self) -> None:
        self._app: ASGIApp | None = None

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = build_http_app()
        self._app = app
        try:
            await app(scope, receive, send)  # Starlette runs the session manager for the lifespan
        finally:
            if self._app is app:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is None:
            headers = Headers(scope=scope)
            await send_error(send, status=503, code="SERVICE_UNAVAILABLE", request_id=request_id_for(headers),
                             message="The MCP endpoint has not started: run the ASGI server with lifespan enabled.")
            return
        if scope["path"] != MCP_PATH:  # /mcp/ answers like /mcp
            scope = {**scope, "path": MCP_PATH, "raw_path": MCP_PATH.encode()}
        await BearerAuth(app)(scope, receive, send)
