"""POST /api/v1/agents/topup end to end (SPEC §10): a 402 offer for exactly the amount, then an x402
payment settled through the real local facilitator over HTTP and booked as one `x402_topup` credit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from billing.models import IdempotencyRecord, LedgerEntry, PaymentStatus, X402Payment
from billing.x402.facilitator_app import RunningFacilitator
from tests.conftest import AgentPersona
from tests.x402_support import (
    address_of,
    closed_port_url,
    decode_header,
    make_payment_header,
    new_private_key,
    start_local_facilitator,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/agents/topup"


@pytest.fixture
def facilitator(settings: Any) -> Iterator[RunningFacilitator]:
    running = start_local_facilitator(initial_balance_micros=50_000_000)
    settings.X402_FACILITATOR_URL = running.url
    yield running
    running.stop()


def _offer(persona: AgentPersona, amount: str = "1.00", **headers: str) -> dict[str, Any]:
    response = persona.client.post(URL, {"amount_usd": amount}, format="json", **headers)
    assert response.status_code == 402, response.content
    return decode_header(response["PAYMENT-REQUIRED"])


def _nothing_booked(persona: AgentPersona, balance: int = 0) -> None:
    assert LedgerEntry.objects.filter(agent=persona.agent).exclude(kind="grant").count() == 0
    assert persona.balance_micros == balance


def test_without_a_payment_it_offers_exactly_the_amount(broke_agent: AgentPersona) -> None:
    response = broke_agent.client.post(URL, {"amount_usd": "2.50"}, format="json")
    assert response.status_code == 402
    body = response.json()
    offer = decode_header(response["PAYMENT-REQUIRED"])
    assert body["x402"] == offer
    assert (body["code"], body["billing_reason"], body["price_usd"], body["virtual_balance_usd"], body["details"]) == (
        "PAYMENT_REQUIRED", "topup", "2.50", "0.00", {})
    assert body["message"] == (
        "A top-up of $2.50: pay the x402 offer in PAYMENT-REQUIRED (exactly $2.50 in USDC) and resend this request "
        "with PAYMENT-SIGNATURE; see /cookbook/billing#top-up-with-x402.")
    [accept] = offer["accepts"]
    assert (accept["scheme"], accept["amount"], accept["network"]) == ("exact", "2500000", "eip155:84532")
    assert offer["resource"]["url"] == "http://testserver/api/v1/agents/topup"
    assert offer["resource"]["description"] == "Top up the virtual balance by $2.50"
    assert response["Access-Control-Expose-Headers"] == "PAYMENT-REQUIRED, PAYMENT-RESPONSE"
    _nothing_booked(broke_agent)
    assert X402Payment.objects.count() == 0


def test_a_payment_books_one_topup_credit(broke_agent: AgentPersona, facilitator: RunningFacilitator) -> None:
    key = new_private_key()
    header = make_payment_header(_offer(broke_agent, "1.25"), key)
    response = broke_agent.client.post(URL, {"amount_usd": "1.25"}, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert response.status_code == 201, response.content
    payment = X402Payment.objects.get()
    entry = LedgerEntry.objects.get(kind="x402_topup")
    settlement = decode_header(response["PAYMENT-RESPONSE"])
    assert response.json() == {
        "amount_usd": "1.25", "payment_method": "x402", "payment_id": payment.id, "ledger_entry_id": entry.id,
        "virtual_balance_usd": "1.25", "network": "eip155:84532", "transaction": settlement["transaction"],
        "payer": address_of(key), "created_at": entry.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert settlement["success"] is True
    assert (entry.amount_micros, entry.balance_after_micros, entry.reference) == (1_250_000, 1_250_000, payment.id)
    assert (payment.status, payment.amount_atomic, payment.resource_reference) == (PaymentStatus.BOOKED, 1_250_000, "topup")
    assert broke_agent.balance_micros == 1_250_000
    assert facilitator.chain.balance_of(address_of(key)) == 50_000_000 - 1_250_000
    # The new balance pays for a ticket straight away, from the balance.
    ticket = broke_agent.client.post("/api/v1/support/tickets", {"category": "other", "subject": "hi", "body": "hi"},
                                     format="json")
    assert (ticket.status_code, ticket.json()["payment_method"]) == (201, "virtual_balance")
    call_command("ledger_audit")


def test_a_replayed_payment_is_refused_and_books_nothing_more(broke_agent: AgentPersona,
                                                                facilitator: RunningFacilitator) -> None:
    header = make_payment_header(_offer(broke_agent))
    assert broke_agent.client.post(URL, {"amount_usd": "1.00"}, format="json",
                                   HTTP_PAYMENT_SIGNATURE=header).status_code == 201
    again = broke_agent.client.post(URL, {"amount_usd": "1.00"}, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert again.status_code == 402
    assert (again.json()["billing_reason"], again.json()["x402"]["error"]) == ("x402_payment_rejected",
                                                                               "payment_already_used")
    assert LedgerEntry.objects.filter(kind="x402_topup").count() == 1
    assert broke_agent.balance_micros == 1_000_000


def test_a_payment_for_another_amount_is_refused(broke_agent: AgentPersona, facilitator: RunningFacilitator) -> None:
    key = new_private_key()
    header = make_payment_header(_offer(broke_agent, "1.00"), key)
    response = broke_agent.client.post(URL, {"amount_usd": "2.00"}, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert response.status_code == 402
    body = response.json()
    assert (body["billing_reason"], body["x402"]["error"]) == ("x402_payment_rejected", "payment_requirements_mismatch")
    assert decode_header(response["PAYMENT-REQUIRED"])["accepts"][0]["amount"] == "2000000"
    _nothing_booked(broke_agent)
    assert facilitator.chain.balance_of(address_of(key)) == 50_000_000


@pytest.mark.parametrize(("amount", "reason"), [
    ("0.09", "Must be between 0.10 and 100.00."), ("100.01", "Must be between 0.10 and 100.00."),
    ("0", "Must be between 0.10 and 100.00."), ("0.00", "Must be between 0.10 and 100.00."),
    ("1e3", "Must be between 0.10 and 100.00."),
])
def test_an_amount_outside_min_and_max_is_400(broke_agent: AgentPersona, facilitator: RunningFacilitator,
                                              amount: str, reason: str) -> None:
    header = make_payment_header(_offer(broke_agent, "1.00"))
    response = broke_agent.client.post(URL, {"amount_usd": amount}, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["details"]) == ("VALIDATION_ERROR", {"amount_usd": [reason]})
    _nothing_booked(broke_agent)
    assert X402Payment.objects.count() == 0


def test_the_limits_come_from_settings(broke_agent: AgentPersona, settings: Any) -> None:
    settings.TOPUP_MIN_MICROS, settings.TOPUP_MAX_MICROS = 5_000_000, 10_000_000
    assert broke_agent.client.post(URL, {"amount_usd": "4.99"}, format="json").json()["details"] == {
        "amount_usd": ["Must be between 5.00 and 10.00."]}
    assert broke_agent.client.post(URL, {"amount_usd": "10.00"}, format="json").status_code == 402


@pytest.mark.parametrize("body", [
    {"amount_usd": 1.0}, {"amount_usd": 1}, {"amount_usd": None}, {"amount_usd": True}, {"amount_usd": ["1.00"]},
    {"amount_usd": "abc"}, {"amount_usd": "-1.00"}, {"amount_usd": "NaN"}, {"amount_usd": "1.0000001"},
    {"amount_usd": ""}, {}, {"amount_usd": "1.00", "currency": "USD"},
])
def test_a_non_string_or_malformed_amount_is_400(broke_agent: AgentPersona, body: dict[str, Any]) -> None:
    response = broke_agent.client.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert set(response.json()["details"]) <= {"amount_usd", "currency"}
    _nothing_booked(broke_agent)


def test_idempotency_key_replays_the_topup(broke_agent: AgentPersona, facilitator: RunningFacilitator) -> None:
    header = make_payment_header(_offer(broke_agent, "1.00", HTTP_IDEMPOTENCY_KEY="top-1"))
    first = broke_agent.client.post(URL, {"amount_usd": "1.00"}, format="json", HTTP_PAYMENT_SIGNATURE=header,
                                    HTTP_IDEMPOTENCY_KEY="top-1")
    second = broke_agent.client.post(URL, {"amount_usd": "1.00"}, format="json", HTTP_PAYMENT_SIGNATURE=header,
                                     HTTP_IDEMPOTENCY_KEY="top-1")
    without_header = broke_agent.client.post(URL, {"amount_usd": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY="top-1")
    assert (first.status_code, second.status_code, without_header.status_code) == (201, 201, 201)
    assert second.json() == first.json() == without_header.json()
    assert second["Idempotent-Replayed"] == without_header["Idempotent-Replayed"] == "true"
    assert second["PAYMENT-RESPONSE"] == first["PAYMENT-RESPONSE"]
    reused = broke_agent.client.post(URL, {"amount_usd": "2.00"}, format="json", HTTP_IDEMPOTENCY_KEY="top-1")
    assert (reused.status_code, reused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert LedgerEntry.objects.filter(kind="x402_topup").count() == 1
    assert broke_agent.balance_micros == 1_000_000


def test_a_refused_payment_leaves_the_key_free(broke_agent: AgentPersona, facilitator: RunningFacilitator) -> None:
    bad = make_payment_header(_offer(broke_agent, "1.00"))
    refused = broke_agent.client.post(URL, {"amount_usd": "3.00"}, format="json", HTTP_PAYMENT_SIGNATURE=bad,
                                      HTTP_IDEMPOTENCY_KEY="top-2")
    assert refused.status_code == 402
    assert IdempotencyRecord.objects.count() == 0
    good = make_payment_header(_offer(broke_agent, "3.00"))
    paid = broke_agent.client.post(URL, {"amount_usd": "3.00"}, format="json", HTTP_PAYMENT_SIGNATURE=good,
                                   HTTP_IDEMPOTENCY_KEY="top-2")
    assert paid.status_code == 201
    assert broke_agent.balance_micros == 3_000_000


def test_facilitator_down_is_503_and_books_nothing(broke_agent: AgentPersona, settings: Any) -> None:
    header = make_payment_header(_offer(broke_agent))
    settings.X402_FACILITATOR_URL = closed_port_url()
    response = broke_agent.client.post(URL, {"amount_usd": "1.00"}, format="json", HTTP_PAYMENT_SIGNATURE=header)
    assert (response.status_code, response.json()["code"]) == (503, "PAYMENT_PROVIDER_UNAVAILABLE")
    _nothing_booked(broke_agent)
    assert X402Payment.objects.count() == 0


def test_no_token_is_402_and_any_agent_token_may_top_up(anon: Any, usage_key: Any, staff: Any) -> None:
    response = anon.post(URL, {"amount_usd": "1.00"}, format="json")
    assert (response.status_code, response.json()["code"]) == (402, "AGENT_TOKEN_REQUIRED")
    for scopes in (["billing:read"], ["chat"], ["support"]):
        assert usage_key(scopes).post(URL, {"amount_usd": "1.00"}, format="json").status_code == 402
    refused = staff.client.post(URL, {"amount_usd": "1.00"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "INSUFFICIENT_SCOPE")


def test_the_ticket_routes_402_points_to_the_topup(broke_agent: AgentPersona) -> None:
    response = broke_agent.client.post("/api/v1/support/tickets", {"category": "other", "subject": "s", "body": "b"},
                                       format="json")
    assert response.status_code == 402
    assert "top up the balance with POST /api/v1/agents/topup (see /cookbook/billing#top-up-with-x402)" in (
        response.json()["message"])
