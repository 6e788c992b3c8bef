"""Every balance change: one ledger entry and one conditional balance update, in one transaction.

Call these inside the caller's `transaction.atomic()`; they add no savepoint of their own (so a
ticket create stays within its SQL budget). `(kind, reference)` is unique: booking the same
charge or bounty twice raises IntegrityError, which rolls the whole transaction back.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Agent
from live import notify as live
from support_project import sqlbatch
from support_project.domain import PaymentRequired

from .models import LedgerEntry, LedgerKind

CREDIT_KINDS = {
    LedgerKind.GRANT, LedgerKind.X402_PAYMENT, LedgerKind.X402_TOPUP, LedgerKind.BUG_BOUNTY, LedgerKind.REFUND,
    LedgerKind.ADJUSTMENT,
}
DEBIT_KINDS = {LedgerKind.TICKET_CHARGE, LedgerKind.ADJUSTMENT}


class InsufficientBalance(PaymentRequired):
    message = "The virtual balance can't cover this."


def _apply(agent_id: str, delta: int, entry: LedgerEntry) -> int | None:
    """Add `delta` to the balance unless that would go below zero, and book `entry` with the new
    balance; the new balance, or None (nothing written).

    On PostgreSQL one statement — the conditional UPDATE, the ledger INSERT fed by its RETURNING, the
    live balance event and its NOTIFY — carrying whatever the caller holds (`sqlbatch.held()`): the
    paid ticket create's event rows ride here. Postgres re-checks the WHERE on the latest row
    version after any lock wait (READ COMMITTED), so concurrent debits can never overdraw.
    """
    update_sql = (
        f"UPDATE {Agent._meta.db_table} SET balance_micros = balance_micros + %s "  # noqa: S608 - our table
        "WHERE id = %s AND balance_micros + %s >= 0 RETURNING balance_micros"
    )
    update_params: list[Any] = [delta, agent_id, delta]
    live_event = live.balance_event_cte(source="u", agent_id=agent_id)
    if live_event is None:  # SQLite: three plain statements
        with connection.cursor() as cursor:
            cursor.execute(update_sql, update_params)
            row = cursor.fetchone()
        if row is None:
            return None
        entry.balance_after_micros = int(row[0])
        entry.save(force_insert=True)
        live.balance_changed(agent_id=agent_id, balance_micros=entry.balance_after_micros)
        return entry.balance_after_micros
    entry.created_at = timezone.now()
    ledger_sql = (
        f"INSERT INTO {LedgerEntry._meta.db_table} "  # noqa: S608 - our table
        "(id, agent_id, kind, amount_micros, balance_after_micros, reference, memo, created_by, created_at) "
        "SELECT %s, %s, %s, %s, u.balance_micros, %s, %s, %s, %s FROM u"
    )
    ledger_params = [entry.id, agent_id, entry.kind, entry.amount_micros, entry.reference, entry.memo,
                     entry.created_by, entry.created_at]
    rows = sqlbatch.query(
        f"WITH u AS ({update_sql}), ledger AS ({ledger_sql}), live_event AS ({live_event[0]}) "  # noqa: S608
        "SELECT balance_micros FROM u",
        [*update_params, *ledger_params, *live_event[1]],
    )
    if not rows:
        return None
    entry.balance_after_micros = int(rows[0][0])
    entry._state.adding, entry._state.db = False, connection.alias
    return entry.balance_after_micros


def _book(*, agent_id: str, delta: int, kind: str, reference: str, memo: str, created_by: str) -> LedgerEntry:
    if not isinstance(delta, int) or isinstance(delta, bool):
        raise TypeError("amounts are integer micro-USD")
    if not connection.in_atomic_block:
        raise RuntimeError("ledger writes must run inside transaction.atomic()")
    entry = LedgerEntry(agent_id=agent_id, kind=kind, amount_micros=delta, balance_after_micros=0,
                        reference=reference, memo=memo[:255], created_by=created_by[:150])
    if _apply(agent_id, delta, entry) is None:
        if Agent.objects.filter(id=agent_id).exists():
            raise InsufficientBalance()
        raise Agent.DoesNotExist(agent_id)
    return entry


def ledger_credit(
    *, agent_id: str, amount_micros: int, kind: str, reference: str, memo: str = "", created_by: str = ""
) -> LedgerEntry:
    if kind not in CREDIT_KINDS:
        raise ValueError(f"{kind} is not a credit kind")
    if not isinstance(amount_micros, int) or amount_micros <= 0:
        raise ValueError("a credit is a positive integer number of micro-USD")
    return _book(agent_id=agent_id, delta=amount_micros, kind=kind, reference=reference, memo=memo, created_by=created_by)


def ledger_debit(
    *, agent_id: str, amount_micros: int, kind: str, reference: str, memo: str = "", created_by: str = ""
) -> LedgerEntry:
    """Raises InsufficientBalance (and changes nothing) when the balance can't cover it."""
    if kind not in DEBIT_KINDS:
        raise ValueError(f"{kind} is not a debit kind")
    if not isinstance(amount_micros, int) or amount_micros <= 0:
        raise ValueError("a debit is a positive integer number of micro-USD")
    return _book(agent_id=agent_id, delta=-amount_micros, kind=kind, reference=reference, memo=memo, created_by=created_by)


def ledger_debit_if_covered(*, agent_id: str, amount_micros: int, kind: str, reference: str) -> LedgerEntry | None:
    """`ledger_debit` that answers None instead of raising when the balance is short."""
    try:
        return ledger_debit(agent_id=agent_id, amount_micros=amount_micros, kind=kind, reference=reference)
    except InsufficientBalance:
        return None


def ledger_credit_once(
    *, agent_id: str, amount_micros: int, kind: str, reference: str, memo: str = "", created_by: str = ""
) -> tuple[LedgerEntry, bool]:
    """Credit unless (kind, reference) is already booked: (entry, created). Safe to call twice."""
    existing = LedgerEntry.objects.filter(kind=kind, reference=reference).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = ledger_credit(
                agent_id=agent_id, amount_micros=amount_micros, kind=kind, reference=reference,
                memo=memo, created_by=created_by,
            )
    except IntegrityError:
        return LedgerEntry.objects.get(kind=kind, reference=reference), False
    return entry, True


def staff_adjustment(*, agent_id: str, amount_micros: int, reason: str, staff_username: str) -> LedgerEntry:
    """A signed adjustment by staff, with a reason (Django admin)."""
    from support_project.ids import new_id

    if not reason.strip():
        raise ValueError("an adjustment needs a reason")
    if not isinstance(amount_micros, int) or amount_micros == 0:
        raise ValueError("an adjustment is a non-zero integer number of micro-USD")
    with transaction.atomic():
        return _book(
            agent_id=agent_id, delta=amount_micros, kind=LedgerKind.ADJUSTMENT, reference=new_id("adj"),
            memo=reason.strip(), created_by=staff_username,
        )
