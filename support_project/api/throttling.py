"""Per-token rate limiting in the shared cache (Redis when configured) with RateLimit-* headers.

A fixed one-minute window per token (or per client address for anonymous calls). If the cache is
unreachable the limiter fails open and logs: a rate limiter must not take the API down.
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


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        principal = getattr(request, "auth", None)
        if principal is not None and getattr(principal, "token_id", None):
            ident, limit = f"tok:{principal.token_id}", settings.RATE_LIMIT_PER_MINUTE
        else:
            ident, limit = f"ip:{self.get_ident(request)}", settings.RATE_LIMIT_ANON_PER_MINUTE
        if limit <= 0:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        reset = int((window + 1) * WINDOW_SECONDS - now) or 1
        key = f"rl:{ident}:{window}"
        try:
            cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
            count = cache.incr(key)
        except Exception:  # noqa: BLE001 - any cache failure: fail open, loudly
            logger.warning("rate limiter cache unavailable; allowing request", exc_info=True)
            return True
        request._request.rate_limit = (limit, max(0, limit - count), reset)
        self._wait = reset
        return count <= limit

    def wait(self) -> float | None:
        return float(getattr(self, "_wait", WINDOW_SECONDS))
