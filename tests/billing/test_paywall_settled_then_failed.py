"""The paywall's last line of defence (billing/paywall.py): an x402 payment that settled on chain
is never lost, even when the route's work fails afterwards.

The facilitator is the real local one over loopback HTTP; the payer signs with the SDK. The work
fails after settlement (as a crashed insert or a bug would), and the test asserts exactly what
remains: the payment kept as balance credit once, no charge, no ticket, the key free again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Agent
from billing.idempotency import StoredResponse
from billing.models import IdempotencyRecord, LedgerEntry, LedgerKind, PaymentStatus, X402Payment
from billing.paywall import Charge, PaidRequest, run_paid
from billing.x402 import gateway
from billing.x402.facilitator_app import RunningFacilitator
from tests.conftest import make_agent
from tests.x402_support import make_payment_header, start_local_facilitator
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PRICE = 10_000
URL = "http://testserver/api/v1/support/tickets"


@pytest.fixture
def facilitator(settings: Any) -> Iterator[RunningFacilitator]:
    settings.X402_NETWORK = "eip155:84532"
    settings.X402_PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
    fac = start_local_facilitator(initial_balance_micros=1_000_000)
    settings.X402_FACILITATOR_URL = fac.url
    yield fac
    fac.stop()


class WorkFailed(Exception):
    pass


def failing_work(method: str) -> Callable[[Charge], StoredResponse]:
    raise WorkFailed(f"the route's inserts failed ({method})")


def paid_request(agent: Agent, *, key: str | None) -> PaidRequest:
    header = make_payment_header(
        gateway.payment_required(price_micros=PRICE, resource_url=URL, description="Open a support ticket")
    )
    return PaidRequest(
        agent_id=agent.id, price_micros=PRICE, charge_reference="tkt_settled_then_failed", resource_url=URL,
        description="Open a support ticket", payment_signature=header, idempotency_key=key, fingerprint="fp",
        known_balance_micros=0,
    )


@pytest.mark.parametrize("key", [None, "retry-me"])
def test_it_keeps_a_settled_payment_as_credit_when_the_work_fails(facilitator: RunningFacilitator, key: str | None) -> None:
    agent = make_agent("Payer", grant_micros=0).agent

    with pytest.raises(WorkFailed):
        run_paid(paid=paid_request(agent, key=key), work=failing_work)

    payment = X402Payment.objects.get()
    assert payment.status == PaymentStatus.BOOKED
    entries = list(LedgerEntry.objects.filter(agent_id=agent.id).values_list("kind", "amount_micros", "reference", "memo"))
    assert entries == [(LedgerKind.X402_PAYMENT, PRICE, payment.id, "x402 payment kept as credit after a failed request")]
    assert Agent.objects.get(id=agent.id).balance_micros == PRICE  # the money is the agent's to spend
    assert Ticket.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind=LedgerKind.TICKET_CHARGE).exists()
    assert not IdempotencyRecord.objects.filter(agent_id=agent.id).exists()  # the same key may be retried
    call_command("ledger_audit")  # balance = Σ entries, nothing negative (exits non-zero otherwise)


def test_the_retry_after_a_failed_work_is_paid_from_the_kept_credit(facilitator: RunningFacilitator) -> None:
    agent = make_agent("Payer", grant_micros=0).agent
    with pytest.raises(WorkFailed):
        run_paid(paid=paid_request(agent, key="retry-me"), work=failing_work)

    def work(method: str) -> Callable[[Charge], StoredResponse]:
        return lambda charge: StoredResponse(201, {"method": charge.method, "balance": charge.balance_after_micros})

    retry = PaidRequest(
        agent_id=agent.id, price_micros=PRICE, charge_reference="tkt_retry", resource_url=URL,
        description="Open a support ticket", idempotency_key="retry-me", fingerprint="fp", known_balance_micros=PRICE,
    )
    assert run_paid(paid=retry, work=work) == StoredResponse(201, {"method": "virtual_balance", "balance": 0})
    kinds = list(LedgerEntry.objects.filter(agent_id=agent.id).order_by("created_at").values_list("kind", "amount_micros"))
    assert kinds == [(LedgerKind.X402_PAYMENT, PRICE), (LedgerKind.TICKET_CHARGE, -PRICE)]
    call_command("ledger_audit")
