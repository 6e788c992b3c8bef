"""How a pooled PostgreSQL connection is checked before a request gets it — without a round trip
when nothing suggests it broke.

psycopg_pool's stock check (what Django installs with CONN_HEALTH_CHECKS) sends an empty query on
every checkout: one round trip per request, ~6 % of a worker's samples under load (bench/README.md).
A connection the server terminated (restart, `pg_terminate_backend`, idle timeout) has had its
FATAL notice or its close delivered to our socket, so an idle connection whose socket is readable is
suspect; only then, or when it sat idle longer than IDLE_PING_SECONDS (a peer that vanished without
a word), is it pinged. A connection that fails the ping is discarded and the pool hands out another.
"""

from __future__ import annotations

import select
import time
from typing import Any

from django.db.backends.signals import connection_created

IDLE_PING_SECONDS = 30.0
_RETURNED_AT = "_support_returned_at"


def check(conn: Any) -> None:
    """psycopg_pool `check`: return quietly if `conn` looks usable, raise if it isn't."""
    from psycopg_pool import ConnectionPool

    returned_at = getattr(conn, _RETURNED_AT, None)
    stale = returned_at is None or time.monotonic() - returned_at > IDLE_PING_SECONDS
    if stale or select.select([conn.fileno()], [], [], 0)[0]:
        ConnectionPool.check_connection(conn)


def reset(conn: Any) -> None:
    """psycopg_pool `reset`: note when the connection came back (it is idle from now on)."""
    setattr(conn, _RETURNED_AT, time.monotonic())


def pool_options(**options: Any) -> dict[str, Any]:
    """Django's `OPTIONS["pool"]` for these checks; use with CONN_HEALTH_CHECKS off. Django passes the
    pool's `check` itself (its round-trip ping, or none), so `check` is installed on the pool when
    the first connection comes out of it (`connection_created`, below)."""
    return {**options, "reset": reset}


def _install_check(sender: Any, connection: Any, **kwargs: Any) -> None:
    pool = getattr(connection, "pool", None) if connection.vendor == "postgresql" else None
    if pool is not None and getattr(pool, "_reset", None) is reset and pool._check is None:
        pool._check = check  # psycopg_pool keeps its check callback here (pool.py: `self._check(conn)`)


connection_created.connect(_install_check, dispatch_uid="support_project.dbpool")
