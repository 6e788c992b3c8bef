"""Liveness and readiness (SPEC §8)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _broker_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: broker unreachable", exc_info=True)
        return False


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001
        logger.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        checks["broker"] = "ok" if _broker_ok() else "unavailable"
    else:
        checks["broker"] = "eager"
    ready = all(v in ("ok", "eager") for v in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
