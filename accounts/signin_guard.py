"""Throttle password (and staff-token) guessing on the browser sign-ins: /ui-traffic/login and
the Django admin (issue 16 item 9).

Failures are counted in the shared cache (Redis in production, so every worker sees them) per
user name and per client address, in a fixed window of `SIGNIN_LOCKOUT_SECONDS` that starts at
the first failure. At `SIGNIN_MAX_FAILURES_PER_USER` for a name, or
`SIGNIN_MAX_FAILURES_PER_ADDRESS` from one address, every sign-in for that name / from that
address is refused — the right password too — until the window ends. A success clears the name's
count. If the cache is down the guard fails open (logged), like the API rate limiter.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from support_project.api.throttling import client_address

logger = logging.getLogger(__name__)


class SignInThrottled(PermissionDenied):
    """Raised from the authentication backend: `authenticate()` stops and returns None."""


def _user_key(username: str) -> str:
    return "signin:user:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def _address_key(address: str) -> str:
    return f"signin:addr:{address}"


def address_of(request: Any) -> str:
    return client_address(request) if request is not None else "unknown"


def throttled_message() -> str:
    minutes = max(1, round(int(settings.SIGNIN_LOCKOUT_SECONDS) / 60))
    return (f"Too many failed sign-ins for this account or from this address; "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}.")


def signin_blocked(*, username: str | None, address: str) -> bool:
    keys = {_address_key(address): int(settings.SIGNIN_MAX_FAILURES_PER_ADDRESS)}
    if username:
        keys[_user_key(username)] = int(settings.SIGNIN_MAX_FAILURES_PER_USER)
    try:
        counts = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - a throttle must not take sign-in down
        logger.warning("sign-in throttle cache unavailable; allowing the attempt", exc_info=True)
        return False
    return any(int(counts.get(key) or 0) >= limit > 0 for key, limit in keys.items())


def signin_failed(*, username: str | None, address: str) -> None:
    window = int(settings.SIGNIN_LOCKOUT_SECONDS)
    keys = [_address_key(address)] + ([_user_key(username)] if username else [])
    try:
        for key in keys:
            cache.add(key, 0, timeout=window)  # the window starts at the first failure
            cache.incr(key)
    except Exception:  # noqa: BLE001
        logger.warning("sign-in throttle cache unavailable; failure not counted", exc_info=True)


def signin_succeeded(*, username: str) -> None:
    try:
        cache.delete(_user_key(username))
    except Exception:  # noqa: BLE001
        logger.warning("sign-in throttle cache unavailable", exc_info=True)
