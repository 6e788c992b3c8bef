"""At most AGENT_MAX_CONCURRENT_REQUESTS requests per agent in flight in this process.

Each web process has one connection pool (DB_POOL_MAX_SIZE). Without a cap, one agent whose
requests all wait — on its own locked balance row, a slow query — can hold every pooled
connection and thread, and every other tenant times out. With it, that agent's extra requests
get `429 RATE_LIMITED` with `Retry-After: 1` at once and the rest of the pool keeps serving.

`AgentConcurrencyThrottle` takes a slot once DRF knows the agent; `ConcurrencySlotMiddleware`
gives it back when the response is ready, whatever happened in between.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

_lock = threading.Lock()
_in_flight: Counter[str] = Counter()


def _release(agent_id: str) -> None:
    with _lock:
        _in_flight[agent_id] -= 1
        if _in_flight[agent_id] <= 0:
            del _in_flight[agent_id]


class AgentConcurrencyThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        limit = int(settings.AGENT_MAX_CONCURRENT_REQUESTS)
        agent = getattr(getattr(request, "auth", None), "agent", None)
        raw = request._request
        if limit <= 0 or agent is None or getattr(raw, "_agent_slot", None):
            return True
        with _lock:
            if _in_flight[agent.id] >= limit:
                raise Throttled(wait=1)  # 429 RATE_LIMITED, Retry-After: 1
            _in_flight[agent.id] += 1
        raw._agent_slot = agent.id
        return True


class ConcurrencySlotMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            agent_id = getattr(request, "_agent_slot", None)
            if agent_id:
                _release(agent_id)
