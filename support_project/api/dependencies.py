"""Dependency failures answer `503 SERVICE_UNAVAILABLE` with `Retry-After` (SPEC §1), never 500.

A lock or statement timeout, a connection the server dropped, or a pool with no connection to
give within its timeout is the database being unavailable *for now*: the client should retry.
Integrity and data errors are not in this list — those are bugs and stay 500.
"""

from __future__ import annotations

import psycopg
from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 2
_UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


def is_dependency_failure(exc: BaseException) -> bool:
    return isinstance(exc, _UNAVAILABLE)
