"""Commit-order-safe cursors over append-only tables (the live streams, the pull event feed).

A `seq` from a sequence is assigned at INSERT but becomes visible at COMMIT, so a reader that
pages by `seq` alone can pass a row whose slower transaction commits later, and skip it forever.
Instead every such row records the id of the transaction that wrote it (`txid`, PostgreSQL's
`pg_current_xact_id()`), readers order by `(txid, seq)`, and a reader only returns rows whose
transaction is older than its own snapshot's `xmin` — every transaction below `xmin` has ended,
so no row with a lower position can ever appear after the reader has moved past it (see
HORIZON_SQL for the one refinement: transactions of other databases on the server don't count). No fixed
settle delay: a row is held back only while an older writing transaction is still open.

On SQLite (the local default) writers are serialised by the database lock, so commit order is
`seq` order: `txid` is 0 and nothing is held back.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

# The horizon: positions below it are final. It is this statement's snapshot xmin, except that
# transactions running in *other databases* of the cluster are ignored (they can't write our
# tables; a shared server — or a long job next door — would otherwise hold every reader back).
# A running transaction is "elsewhere" only if its xid's lock belongs to a backend holding no lock
# in this database; anything unknown (ended meanwhile, prepared) counts as ours: conservative.
# pg_locks is read after the snapshot was taken; an xid that ended in between is simply unknown.
# Use it inside the statement that reads the rows (one statement, one snapshot).
HORIZON_SQL = """(WITH s AS (SELECT pg_current_snapshot() AS snap),
 here AS (SELECT DISTINCT pid FROM pg_locks
          WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database())),
 elsewhere AS (SELECT transactionid::text::bigint AS xid FROM pg_locks
               WHERE locktype = 'transactionid' AND pid IS NOT NULL AND pid NOT IN (SELECT pid FROM here))
 SELECT LEAST((SELECT pg_snapshot_xmax(snap)::text::bigint FROM s),
              (SELECT min(x::text::bigint) FROM s, pg_snapshot_xip(s.snap) AS x
               WHERE mod(x::text::bigint, 4294967296) NOT IN (SELECT xid FROM elsewhere))))"""
NO_HORIZON = 2**63 - 1  # SQLite: everything committed is final


class CurrentTxid(models.Func):
    """The writing transaction's id as a bigint (a column default: `db_default=CurrentTxid()`)."""

    output_field = models.BigIntegerField()

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, function: str | None = None,
        template: str | None = None, arg_joiner: str | None = None, **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        if connection.vendor == "postgresql":
            return "(pg_current_xact_id()::text::bigint)", ()
        return "0", ()


def horizon_sql(vendor: str) -> str:
    """A SQL expression for "rows with a txid below this are final" in the current statement."""
    return HORIZON_SQL if vendor == "postgresql" else str(NO_HORIZON)


def encode_position(txid: int, seq: int) -> str:
    return f"{txid}-{seq}"


def decode_position(raw: str) -> tuple[int, int] | None:
    """`"<txid>-<seq>"` → (txid, seq); None when it isn't one."""
    txid, sep, seq = raw.partition("-")
    if not sep or not (txid.isdigit() and seq.isdigit()) or len(raw) > 41:
        return None
    return int(txid), int(seq)
