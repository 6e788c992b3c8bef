"""Per-token rate limiting in the shared cache (Redis when configured) with RateLimit-* headers.

A fixed one-minute window per token (or per client address for anonymous calls), shared by REST
and MCP (`rate_limit_hit`). If the cache is unreachable the limiter fails open and logs: a rate
limiter must not take the API down.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def rate_limit_hit(ident: str, limit: int) -> tuple[int, int, int] | None:
    """Count one request for `ident` in the current window.

    Returns (limit, remaining, seconds to reset); remaining < 0 means over the limit. None when
    limits are off or the cache is down (fail open).
    """
    if limit <= 0:
        return None
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    reset_after = int((window + 1) * WINDOW_SECONDS - now) or 1
    key = f"rl:{ident}:{window}"
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, loudly
        logger.warning("rate limiter cache unavailable; allowing request", exc_info=True)
        return None
    return limit, limit - count, reset_after


def client_address(request: Any) -> str:
    """The address the server saw. Never X-Forwarded-For as sent (DRF's `get_ident` would take it
    from anyone): uvicorn's `--proxy-headers` rewrites the peer address from it only for
    connections from `FORWARDED_ALLOW_IPS`, our own proxies (see the Procfile and README)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        principal = getattr(request, "auth", None)
        if principal is not None and getattr(principal, "token_id", None):
            ident, limit = f"tok:{principal.token_id}", settings.RATE_LIMIT_PER_MINUTE
        else:
            ident, limit = f"ip:{client_address(request)}", settings.RATE_LIMIT_ANON_PER_MINUTE
        hit = rate_limit_hit(ident, limit)
        if hit is None:
            return True
        limit, remaining, reset = hit
        request._request.rate_limit = (limit, max(0, remaining), reset)
        self._wait = reset
        return remaining >= 0

    def wait(self) -> float | None:
        return float(getattr(self, "_wait", WINDOW_SECONDS))
