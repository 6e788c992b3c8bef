"""Several writes in one round trip: writes that need no answer ride on the next statement that does.

Inside `held()` (PostgreSQL), `write`/`insert` don't go to the server at once: they are kept and
sent as data-modifying CTEs in front of the next statement that needs an answer (`query`,
`key_reserve`), or together as one statement when the block ends. A paid ticket
create is then two statements between BEGIN and COMMIT instead of seven (bench/README.md):

    with sqlbatch.held():
        sqlbatch.insert(session)                   # held
        sqlbatch.insert(first_message)             # held
        sqlbatch.key_reserve(ticket)               # nextval, sent now with the two above: one statement
        sqlbatch.insert(ticket)                    # held
        sqlbatch.write(event_sql, params)          # held
        rows = sqlbatch.query(debit_sql, params)   # sent with the two held writes: one statement
    # (ticket_open's shape: its first message must be in before the ticket's INSERT — see below)

Rules for what may be held (PostgreSQL runs every CTE of a statement on the same snapshot, and the
held ones — referenced by nothing — after the carrier's own work, in no promised order): a held write
must not need to see rows written by the statement that carries it, nor be read back before it is
sent. Mind triggers that read other tables: a ticket's search-vector trigger reads its first message,
so that message is sent a statement *before* the ticket (`key_reserve`), not beside it. Foreign
keys are checked at the end of the statement, so a parent and its child may ride together.
A NOTIFY rides in a write's `RETURNING pg_notify(…)`: sent at COMMIT, or never.
If the block raises, what is still held is dropped with the transaction it belonged to; a savepoint
opened after writes were held refuses to carry them (RuntimeError: rolling it back would lose them).

Outside `held()`, and on other databases (SQLite, the local default), every write runs at once:
the same calls, the same rows, only more round trips.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault
from django.db.models.sql import InsertQuery


class _Held:
    def __init__(self) -> None:
        self.writes: list[tuple[str, list[Any]]] = []
        self.depth = len(connection.savepoint_ids)  # a savepoint opened inside must not swallow them

    def here(self) -> bool:
        """True when held writes may be added or carried at the current savepoint depth."""
        if len(connection.savepoint_ids) == self.depth:
            return True
        if self.writes:
            raise RuntimeError("held writes can't ride into a savepoint opened after them (sqlbatch)")
        return False


_held: ContextVar[_Held | None] = ContextVar("sqlbatch_held", default=None)
_insert_sql: dict[tuple[Any, ...], str] = {}  # (model, fields, db-default mask, returning, vendor) → SQL


@contextmanager
def held() -> Iterator[None]:
    """Hold writes until a statement needs an answer or the block ends. Inside a transaction only;
    a nested `held()` joins the outer one."""
    if connection.vendor != "postgresql" or _held.get() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("sqlbatch.held() needs the caller's transaction.atomic()")
    pending = _Held()
    token = _held.set(pending)
    try:
        yield
        if pending.writes:
            _run(*_carried(pending.writes, "SELECT 1", []))
    finally:
        _held.reset(token)


def write(sql: str, params: Sequence[Any]) -> None:
    """One data-modifying statement whose answer nobody needs (it may end in `RETURNING pg_notify(…)`)."""
    pending = _held.get()
    if pending is not None and pending.here():
        pending.writes.append((sql, list(params)))
    else:
        _run(sql, list(params))


def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run `sql` now, with every held write riding in front of it; its rows."""
    pending = _held.get()
    if pending is not None and pending.here() and pending.writes:
        sql, params = _carried(pending.writes, sql, list(params))
        pending.writes.clear()
    return _run(sql, list(params))


def insert_statement(obj: Model, *, returning: bool = False) -> tuple[str, list[Any]]:
    """The ORM's own `INSERT` for a new `obj` (defaults, `auto_now_add`, `db_default`, JSON adapted),
    as `Model.save()` would send it; with `returning`, `RETURNING` the database-generated primary key.

    The SQL text is compiled by Django once per model and shape, then reused: compiling costs
    ~90 µs a row, the values alone a few."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    if meta.auto_field is not None and obj.pk is None:
        fields = [f for f in fields if f is not meta.auto_field]
    values = [f.pre_save(obj, add=True) for f in fields]
    defaults = tuple(isinstance(v, DatabaseDefault) for v in values)
    plain = not any(hasattr(f, "get_placeholder") for f in fields) and not any(
        hasattr(v, "resolve_expression") for v, is_default in zip(values, defaults, strict=True) if not is_default)
    key = (type(obj), tuple(f.attname for f in fields), defaults, returning, connection.vendor)
    sql = _insert_sql.get(key) if plain else None
    if sql is None:
        query_ = InsertQuery(type(obj))
        query_.insert_values(fields, [obj])
        compiler = query_.get_compiler(connection=connection)
        compiler.returning_fields = [meta.auto_field] if returning and meta.auto_field is not None else None
        [(sql, params)] = compiler.as_sql()
        if plain:
            _insert_sql[key] = sql
        return sql, list(params)
    return sql, [f.get_db_prep_save(v, connection)
                 for f, v, is_default in zip(fields, values, defaults, strict=True) if not is_default]


def key_reserve(obj: Model) -> None:
    """PostgreSQL: give a new `obj` its next auto key now (`nextval`, carrying what is held), so its
    INSERT can be held too. Elsewhere nothing: `insert` then saves it at once and learns the key."""
    field = obj._meta.auto_field
    if connection.vendor != "postgresql" or field is None or obj.pk is not None:
        return
    [(pk,)] = query("SELECT nextval(pg_get_serial_sequence(%s, %s))", [obj._meta.db_table, field.column])
    setattr(obj, field.attname, pk)


def insert(obj: Model) -> None:
    """Insert a new `obj`: held inside `held()`; outside it sent at once, learning a database-generated
    primary key in the same statement (`key_reserve` gives one ahead when the INSERT is to be held).
    Sends no model signals on PostgreSQL (nothing here listens)."""
    auto_key = obj._meta.auto_field is not None and obj.pk is None
    if connection.vendor != "postgresql":  # SQLite: the ORM fetches a new key its own way
        obj.save(force_insert=True)
    elif auto_key and not _holding():  # sent now anyway: learn the key in the same statement
        sql, params = insert_statement(obj, returning=True)
        [(pk,)] = query(sql, params)
        setattr(obj, obj._meta.auto_field.attname, pk)  # type: ignore[union-attr]
    else:
        write(*insert_statement(obj))
    obj._state.adding = False
    obj._state.db = connection.alias


def _holding() -> bool:
    pending = _held.get()
    return pending is not None and pending.here()


def _carried(pending: list[tuple[str, list[Any]]], sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    ctes = ", ".join(f"held_{i} AS ({held_sql})" for i, (held_sql, _) in enumerate(pending))
    held_params = [p for _, ps in pending for p in ps]
    head = sql.lstrip()
    if head[:5].upper() == "WITH ":
        if head[5:15].upper().startswith("RECURSIVE"):
            raise ValueError("a WITH RECURSIVE statement can't carry held writes")
        return f"WITH {ctes}, {head[5:]}", held_params + params
    return f"WITH {ctes} {head}", held_params + params


def _run(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
