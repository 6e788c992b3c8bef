"""The paid-route waterfall of SPEC §3.2, reusable by any route, chat tool or MCP tool.

    def work(method: str) -> Callable[[Charge], StoredResponse]:
        thing = create_the_thing(payment_method=method)         # the route's inserts
        return lambda charge: StoredResponse(201, body_of(thing, charge))
    stored = run_paid(paid=PaidRequest(...), work=work)

Order: replay a finished Idempotency-Key → do the work and debit the virtual balance in one
transaction → else 402 PAYMENT_REQUIRED (no signature) → else settle the x402 payment through
the facilitator *before* creating anything, then do the work and book `x402_payment` (+price)
and the charge (−price) in one transaction. A settled payment whose work then fails stays on
the agent's balance as credit: money is never lost. Validation happens before `run_paid`.

The work's inserts come *before* the balance update (and, where they need no answer, ride in the
same statement: `support_project.sqlbatch`): the agent's balance row is locked from that
UPDATE to COMMIT, so taking it last keeps one agent's concurrent requests from queueing behind
each other's inserts (bench/README.md). When the balance the caller authenticated with is
already short, the work is skipped so a 402 costs no inserts (and burns no ticket number).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db import transaction
from rest_framework.response import Response

from support_project import sqlbatch

from . import idempotency
from .idempotency import StoredResponse
from .models import LedgerKind
from .services import ledger_credit, ledger_credit_once, ledger_debit, ledger_debit_if_covered

if TYPE_CHECKING:
    from .x402.gateway import SettledPayment

logger = logging.getLogger(__name__)

EXPOSE_HEADERS = "PAYMENT-REQUIRED, PAYMENT-RESPONSE"


@dataclass(frozen=True)
class Charge:
    method: str  # "virtual_balance" | "x402"
    amount_micros: int
    balance_after_micros: int
    ledger_entry_id: str


@dataclass(frozen=True)
class PaidRequest:
    agent_id: str
    price_micros: int
    charge_reference: str  # unique per ticket_charge, e.g. the ticket id about to be created
    resource_url: str
    description: str
    payment_signature: str | None = None
    idempotency_key: str | None = None
    fingerprint: str = ""
    # The balance read when the caller authenticated (no lock): a hint to skip doomed work.
    known_balance_micros: int | None = None


# work(payment_method) does the route's writes and returns how to answer once charged.
PaidWork = Callable[[str], Callable[[Charge], StoredResponse]]
# book(settled) books a settled x402 payment (inside run_x402's transaction) and returns the answer.
X402Booking = Callable[["SettledPayment"], StoredResponse]


def run_paid(*, paid: PaidRequest, work: PaidWork) -> StoredResponse:
    key = paid.idempotency_key
    with transaction.atomic(durable=True):
        if key:
            replay = idempotency.claim_in_transaction(agent_id=paid.agent_id, key=key, fp=paid.fingerprint)
            if replay is not None:
                return replay
        if paid.known_balance_micros is None or paid.known_balance_micros >= paid.price_micros:
            # The work's writes that need no answer ride with the debit's statement (sqlbatch).
            with sqlbatch.held():
                respond = work("virtual_balance")
                entry = ledger_debit_if_covered(
                    agent_id=paid.agent_id, amount_micros=paid.price_micros,
                    kind=LedgerKind.TICKET_CHARGE, reference=paid.charge_reference,
                )
            if entry is not None:
                charge = Charge("virtual_balance", paid.price_micros, entry.balance_after_micros, entry.id)
                return _finish(paid, respond(charge))
        if not paid.payment_signature:
            raise _payment_required(paid)
        # Balance short but a payment came with the request: undo our claim (and any work), settle
        # outside any transaction (it calls out), then work and book in a fresh one.
        transaction.set_rollback(True)

    return _run_with_x402(paid, work)


def _finish(paid: PaidRequest, response: StoredResponse) -> StoredResponse:
    if paid.idempotency_key:
        idempotency.store(agent_id=paid.agent_id, key=paid.idempotency_key, response=response)
    return response


def _payment_required(paid: PaidRequest) -> Exception:
    from .x402 import gateway

    return gateway.payment_required_error(
        agent_id=paid.agent_id, price_micros=paid.price_micros, resource_url=paid.resource_url,
        description=paid.description, error="Payment required", billing_reason="virtual_balance_insufficient",
    )


def _run_with_x402(paid: PaidRequest, work: PaidWork) -> StoredResponse:
    def book(settled: SettledPayment) -> StoredResponse:
        respond = work("x402")
        ledger_credit(
            agent_id=paid.agent_id, amount_micros=settled.amount_micros, kind=LedgerKind.X402_PAYMENT,
            reference=settled.payment_id, memo=f"x402 {settled.network} {settled.transaction}",
        )
        entry = ledger_debit(
            agent_id=paid.agent_id, amount_micros=paid.price_micros,
            kind=LedgerKind.TICKET_CHARGE, reference=paid.charge_reference,
        )
        return respond(Charge("x402", paid.price_micros, entry.balance_after_micros, entry.id))

    return run_x402(paid=paid, book=book)


def run_x402(*, paid: PaidRequest, book: X402Booking) -> StoredResponse:
    """Pay `paid.price_micros` with the presented PAYMENT-SIGNATURE, then `book` it.

    Claim the Idempotency-Key (visibly: a duplicate gets 409 while we settle), settle through the
    facilitator outside any transaction, then in one transaction run `book(settled)` (the ledger
    entries and any work), mark the payment booked, store the answer with its PAYMENT-RESPONSE.
    Used by the paid-route waterfall and by top-ups (billing/topup.py).
    """
    from .x402 import gateway

    key = paid.idempotency_key
    if key:
        replay = idempotency.claim_committed(agent_id=paid.agent_id, key=key, fp=paid.fingerprint)
        if replay is not None:
            return replay
    try:
        settled = gateway.settle_presented_payment(
            agent_id=paid.agent_id, header_value=paid.payment_signature or "", price_micros=paid.price_micros,
            resource_url=paid.resource_url, description=paid.description, resource_reference=paid.charge_reference,
        )
    except BaseException:
        if key:
            idempotency.release(agent_id=paid.agent_id, key=key)
        raise

    try:
        with transaction.atomic(durable=True):
            with sqlbatch.held():
                response = book(settled)
            gateway.payment_mark_booked(payment_id=settled.payment_id)
            response = replace(response, headers={**response.headers, "PAYMENT-RESPONSE": settled.response_header})
            return _finish(paid, response)
    except BaseException:
        # The payment is settled on chain: keep it as balance credit so nothing is lost.
        logger.exception("work failed after x402 settlement %s; crediting the balance", settled.payment_id)
        with transaction.atomic():
            ledger_credit_once(
                agent_id=paid.agent_id, amount_micros=settled.amount_micros, kind=LedgerKind.X402_PAYMENT,
                reference=settled.payment_id, memo="x402 payment kept as credit after a failed request",
            )
            gateway.payment_mark_booked(payment_id=settled.payment_id)
        if key:
            idempotency.release(agent_id=paid.agent_id, key=key)
        raise


def to_response(stored: StoredResponse, *, extra_headers: dict[str, str] | None = None) -> Response:
    """A DRF response for a stored (possibly replayed) result."""
    response = Response(stored.body, status=stored.status)
    for name, value in {**stored.headers, **(extra_headers or {})}.items():
        response[name] = value
    response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    if stored.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
