"""The waterfall end to end on the ticket route: balance, then 402, then an x402 payment settled
through the real local facilitator over HTTP (SPEC §3.2)."""

from __future__ import annotations

import base64
import json

import pytest

from billing.models import LedgerEntry, PaymentStatus, X402Payment
from tests.x402_support import decode_header, make_payment_header, new_private_key, start_local_facilitator
from tickets.models import Ticket

URL = "/api/v1/support/tickets"
GOOD = {"category": "billing", "subject": "Charged twice?", "body": "I see two charges."}


@pytest.fixture
def facilitator(settings):  # type: ignore[no-untyped-def]
    running = start_local_facilitator(initial_balance_micros=1_000_000)
    settings.X402_FACILITATOR_URL = running.url
    yield running
    running.stop()


def _required(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 402, response.content
    return json.loads(base64.b64decode(response["PAYMENT-REQUIRED"]))


@pytest.mark.django_db
def test_pay_with_x402_after_a_402(broke_agent, facilitator):
    first = broke_agent.client.post(URL, GOOD, format="json")
    required = _required(first)
    key = new_private_key()
    header = make_payment_header(required, key)

    paid = broke_agent.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert paid.status_code == 201, paid.content
    body = paid.json()
    assert (body["payment_method"], body["charged_usd"], body["virtual_balance_usd"]) == ("x402", "0.01", "0.00")
    settlement = decode_header(paid["PAYMENT-RESPONSE"])
    assert settlement["success"] is True and settlement["transaction"]
    ticket = Ticket.objects.get()
    assert ticket.payment_method == "x402"
    entries = list(LedgerEntry.objects.order_by("created_at", "id").values_list("kind", "amount_micros", "balance_after_micros"))
    assert entries == [("x402_payment", 10_000, 10_000), ("ticket_charge", -10_000, 0)]
    assert X402Payment.objects.get().status == PaymentStatus.BOOKED
    # The same payment again: refused, nothing created.
    again = broke_agent.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert again.status_code == 402
    assert again.json()["x402"]["error"] == "payment_already_used"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_payment_with_the_balance_covering_is_not_settled(agent_a, facilitator):
    required = _required(_broke_402(facilitator))
    header = make_payment_header(required)
    response = agent_a.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert response.status_code == 201
    assert response.json()["payment_method"] == "virtual_balance"
    assert X402Payment.objects.count() == 0


def _broke_402(facilitator):  # type: ignore[no-untyped-def]
    from tests.conftest import make_agent

    return make_agent("Another broke agent", grant_micros=0).client.post(URL, GOOD, format="json")


@pytest.mark.django_db
def test_an_undecodable_payment_is_400_payment_invalid(broke_agent, facilitator):
    response = broke_agent.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE="not base64 json!!")
    assert response.status_code == 400
    assert response.json()["code"] == "PAYMENT_INVALID"
    assert Ticket.objects.count() == 0 and LedgerEntry.objects.count() == 0


@pytest.mark.django_db
def test_facilitator_down_is_5xx_and_nothing_is_created(broke_agent, settings):
    from tests.x402_support import closed_port_url

    required = _required(broke_agent.client.post(URL, GOOD, format="json"))
    settings.X402_FACILITATOR_URL = closed_port_url()
    response = broke_agent.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE=make_payment_header(required))
    assert response.status_code in (502, 503)
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert Ticket.objects.count() == 0 and LedgerEntry.objects.count() == 0
    assert X402Payment.objects.count() == 0  # the reservation was released
    assert broke_agent.balance_micros == 0


@pytest.mark.django_db
def test_idempotent_retry_of_a_paid_request_replays(broke_agent, facilitator):
    required = _required(broke_agent.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="pay-1"))
    header = make_payment_header(required)
    first = broke_agent.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE=header, HTTP_IDEMPOTENCY_KEY="pay-1")
    second = broke_agent.client.post(URL, GOOD, format="json", HTTP_PAYMENT_SIGNATURE=header, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert second["PAYMENT-RESPONSE"] == first["PAYMENT-RESPONSE"]
    assert Ticket.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="x402_payment").count() == 1
