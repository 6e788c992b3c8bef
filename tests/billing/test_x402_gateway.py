"""billing.x402.gateway against the real local facilitator over loopback HTTP (SPEC §3.2 step 5, §3.3).

Every payment is signed by the SDK's client with a throwaway key (real EIP-712), verified and
settled by the SDK's facilitator logic over the simulated chain. Threads serve HTTP, so the
database is used transactionally: the reservation really commits before the facilitator is called.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from accounts.models import Agent
from billing.models import LedgerEntry, PaymentStatus, X402Payment
from billing.x402 import gateway, reconcile
from billing.x402.facilitator_app import FacilitatorOptions, RunningFacilitator
from support_project.api.errors import headers_of, status_of
from support_project.domain import PaymentRequired
from tests.conftest import AgentPersona, make_agent
from tests.x402_support import (
    address_of,
    closed_port_url,
    make_payment_header,
    new_private_key,
    sleeping_server,
    start_local_facilitator,
)

pytestmark = pytest.mark.django_db(transaction=True)

PRICE = 10_000
PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
USDC_SEPOLIA = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
URL = "http://testserver/api/v1/support/tickets"
DESCRIPTION = "Open a support ticket"


@pytest.fixture(autouse=True)
def x402_settings(settings: Any) -> None:
    settings.X402_NETWORK = "eip155:84532"
    settings.X402_PAY_TO = PAY_TO
    settings.X402_MAX_TIMEOUT_SECONDS = 300
    settings.X402_FACILITATOR_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def facilitator(settings: Any) -> Iterator[RunningFacilitator]:
    fac = start_local_facilitator(initial_balance_micros=1_000_000)
    settings.X402_FACILITATOR_URL = fac.url
    yield fac
    fac.stop()


@pytest.fixture
def broke() -> AgentPersona:
    return make_agent("Broke agent", grant_micros=0)


def required(**overrides: Any) -> dict[str, Any]:
    body = gateway.payment_required(price_micros=PRICE, resource_url=URL, description=DESCRIPTION)
    body["accepts"][0].update(overrides)
    return body


def pay(agent: AgentPersona, header: str) -> gateway.SettledPayment:
    return gateway.settle_presented_payment(
        agent_id=agent.agent.id, header_value=header, price_micros=PRICE, resource_url=URL,
        description=DESCRIPTION, resource_reference="tkt_test",
    )


def b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def decode_b64(value: str) -> dict[str, Any]:
    return json.loads(base64.b64decode(value))


def assert_402(exc: PaymentRequired, *, error: str) -> None:
    assert status_of(exc) == 402
    assert exc.code == "PAYMENT_REQUIRED"
    assert exc.extra["billing_reason"] == "x402_payment_rejected"
    assert exc.extra["price_usd"] == "0.01"
    assert exc.extra["virtual_balance_usd"] == "0.00"
    assert exc.extra["x402"] == {**required(), "error": error}
    assert decode_b64(headers_of(exc)["PAYMENT-REQUIRED"]) == exc.extra["x402"]
    assert headers_of(exc)["Access-Control-Expose-Headers"] == "PAYMENT-REQUIRED, PAYMENT-RESPONSE"


def authorization(header: str) -> dict[str, Any]:
    return decode_b64(header)["payload"]["authorization"]


# ---- the 402 we send ----


def test_it_builds_the_payment_required_body() -> None:
    assert gateway.payment_required(price_micros=PRICE, resource_url=URL, description=DESCRIPTION, error="Payment required") == {
        "x402Version": 2,
        "error": "Payment required",
        "resource": {"url": URL, "description": DESCRIPTION, "mimeType": "application/json"},
        "accepts": [{
            "scheme": "exact", "network": "eip155:84532", "asset": USDC_SEPOLIA, "amount": "10000",
            "payTo": PAY_TO, "maxTimeoutSeconds": 300, "extra": {"name": "USDC", "version": "2"},
        }],
    }


def test_it_encodes_the_header_like_the_sdk() -> None:
    body = required()
    header = gateway.encode_header(body)
    assert decode_b64(header) == body
    assert base64.b64decode(header).decode() == json.dumps(body, separators=(",", ":"))  # compact JSON


def test_it_builds_the_balance_too_low_402(broke: AgentPersona) -> None:
    exc = gateway.payment_required_error(
        agent_id=broke.agent.id, price_micros=PRICE, resource_url=URL, description=DESCRIPTION,
        error="Payment required", billing_reason="virtual_balance_insufficient",
    )
    assert (status_of(exc), exc.code, exc.details) == (402, "PAYMENT_REQUIRED", {})
    assert exc.extra == {
        "billing_reason": "virtual_balance_insufficient", "price_usd": "0.01", "virtual_balance_usd": "0.00",
        "x402": required() | {"error": "Payment required"},
    }
    assert decode_b64(headers_of(exc)["PAYMENT-REQUIRED"]) == exc.extra["x402"]
    assert headers_of(exc)["Access-Control-Expose-Headers"] == "PAYMENT-REQUIRED, PAYMENT-RESPONSE"


# ---- paying ----


def test_it_settles_a_payment(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    key = new_private_key()
    payer = address_of(key)
    header = make_payment_header(required(), key)

    settled = pay(broke, header)

    payment = X402Payment.objects.get()
    assert settled == gateway.SettledPayment(
        payment_id=payment.id, payer=payer, transaction=payment.transaction, network="eip155:84532",
        amount_micros=PRICE, response_header=settled.response_header,
    )
    assert decode_b64(settled.response_header) == {
        "success": True, "payer": payer, "transaction": payment.transaction, "network": "eip155:84532",
    }
    assert (payment.status, payment.agent_id, payment.payer, payment.nonce) == (
        PaymentStatus.SETTLED, broke.agent.id, payer, authorization(header)["nonce"].lower(),
    )
    assert (payment.pay_to, payment.asset, payment.amount_atomic, payment.resource_reference, payment.error) == (
        PAY_TO, USDC_SEPOLIA, PRICE, "tkt_test", "",
    )
    assert payment.requirements == required()["accepts"][0]
    assert facilitator.chain.balance_of(payer) == 1_000_000 - PRICE
    assert facilitator.chain.balance_of(PAY_TO) == 1_000_000 + PRICE
    assert facilitator.options.calls == ["POST /verify", "POST /settle"]
    assert LedgerEntry.objects.count() == 0  # booking is the paywall's job

    gateway.payment_mark_booked(payment_id=payment.id)
    gateway.payment_mark_booked(payment_id=payment.id)  # idempotent
    assert X402Payment.objects.get().status == PaymentStatus.BOOKED


def test_the_same_payment_twice_is_already_used(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    header = make_payment_header(required())
    pay(broke, header)

    with pytest.raises(PaymentRequired) as exc_info:
        pay(broke, header)

    assert_402(exc_info.value, error="payment_already_used")
    assert X402Payment.objects.get().status == PaymentStatus.SETTLED
    assert facilitator.options.calls == ["POST /verify", "POST /settle"]  # the replay never reached it


@pytest.mark.parametrize("header", [
    "", "not base64 at all!", b64("not an object"), b64({"x402Version": 2}), "x" * 9000,
    b64({"x402Version": 2, "accepted": required()["accepts"][0], "payload": {"signature": "0x00"}}),
])
def test_an_undecodable_header_is_payment_invalid(broke: AgentPersona, facilitator: RunningFacilitator, header: str) -> None:
    with pytest.raises(gateway.PaymentInvalid) as exc_info:
        pay(broke, header)
    assert (status_of(exc_info.value), exc_info.value.code) == (400, "PAYMENT_INVALID")
    assert X402Payment.objects.count() == 0
    assert facilitator.options.calls == []


def test_a_v1_payment_is_payment_invalid(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    v2 = decode_b64(make_payment_header(required()))
    v1 = {"x402Version": 1, "scheme": "exact", "network": "base-sepolia", "payload": v2["payload"]}

    with pytest.raises(gateway.PaymentInvalid) as exc_info:
        pay(broke, b64(v1))

    assert exc_info.value.details == {"reason": "unsupported_x402_version"}
    assert X402Payment.objects.count() == 0


@pytest.mark.parametrize("field, value", [
    ("payTo", "0x000000000000000000000000000000000000dEaD"),
    ("amount", "1"),
    ("network", "eip155:8453"),
    ("asset", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"),
    ("maxTimeoutSeconds", 60),
])
def test_a_payment_for_other_requirements_is_402(
    broke: AgentPersona, facilitator: RunningFacilitator, field: str, value: Any
) -> None:
    header = make_payment_header(required(**{field: value}))

    with pytest.raises(PaymentRequired) as exc_info:
        pay(broke, header)

    assert_402(exc_info.value, error="payment_requirements_mismatch")
    assert exc_info.value.message == f"The payment's accepted.{field} does not match this route's requirements."
    assert X402Payment.objects.count() == 0
    assert facilitator.options.calls == []


def rejected_by_facilitator(agent: AgentPersona, header: str, reason: str, fac: RunningFacilitator) -> None:
    with pytest.raises(PaymentRequired) as exc_info:
        pay(agent, header)
    assert_402(exc_info.value, error=reason)
    assert exc_info.value.details == {"reason": reason}
    payment = X402Payment.objects.get()
    assert (payment.status, payment.error, payment.transaction) == (PaymentStatus.FAILED, reason, "")
    assert fac.options.calls == ["POST /verify"]
    assert fac.chain.balance_of(PAY_TO) == fac.chain.initial_balance_atomic


def test_an_authorization_to_another_recipient_is_402(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    def redirect(data: dict[str, Any]) -> None:
        data["payload"]["authorization"]["to"] = "0x000000000000000000000000000000000000dEaD"

    header = make_payment_header(required(), tamper=redirect, resign=True)
    rejected_by_facilitator(broke, header, "invalid_exact_evm_payload_recipient_mismatch", facilitator)


def test_an_expired_authorization_is_402(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    def expire(data: dict[str, Any]) -> None:
        data["payload"]["authorization"]["validBefore"] = str(int(time.time()) - 10)

    header = make_payment_header(required(), tamper=expire, resign=True)
    rejected_by_facilitator(broke, header, "invalid_exact_evm_payload_authorization_valid_before", facilitator)


def test_a_signature_by_another_key_is_402(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    victim = address_of(new_private_key())

    def impersonate(data: dict[str, Any]) -> None:
        data["payload"]["authorization"]["from"] = victim

    header = make_payment_header(required(), tamper=impersonate)
    rejected_by_facilitator(broke, header, "invalid_exact_evm_payload_signature", facilitator)
    assert facilitator.chain.balance_of(victim) == 1_000_000


def test_an_unfunded_payer_is_402(broke: AgentPersona, settings: Any) -> None:
    fac = start_local_facilitator(initial_balance_micros=0)
    settings.X402_FACILITATOR_URL = fac.url
    try:
        rejected_by_facilitator(broke, make_payment_header(required()), "invalid_exact_evm_insufficient_balance", fac)
    finally:
        fac.stop()


def test_a_failed_settle_is_402_with_a_payment_response(broke: AgentPersona, settings: Any) -> None:
    key = new_private_key()
    options = FacilitatorOptions()
    fac = start_local_facilitator(initial_balance_micros=1_000_000, options=options)
    options.before_settle = lambda: fac.chain.set_balance(address_of(key), 0)  # spent elsewhere meanwhile
    settings.X402_FACILITATOR_URL = fac.url
    try:
        with pytest.raises(PaymentRequired) as exc_info:
            pay(broke, make_payment_header(required(), key))
    finally:
        fac.stop()

    assert_402(exc_info.value, error="invalid_exact_evm_insufficient_balance")
    response = decode_b64(headers_of(exc_info.value)["PAYMENT-RESPONSE"])
    assert (response["success"], response["errorReason"], response["transaction"]) == (
        False, "invalid_exact_evm_insufficient_balance", "",
    )
    payment = X402Payment.objects.get()
    assert (payment.status, payment.error) == (PaymentStatus.FAILED, "invalid_exact_evm_insufficient_balance")
    assert fac.chain.balance_of(PAY_TO) == 1_000_000


# ---- the facilitator misbehaving ----


def test_a_facilitator_that_is_down_is_503_and_releases(broke: AgentPersona, settings: Any) -> None:
    settings.X402_FACILITATOR_URL = closed_port_url()
    header = make_payment_header(required())

    with pytest.raises(gateway.PaymentProviderUnavailable) as exc_info:
        pay(broke, header)

    assert (status_of(exc_info.value), exc_info.value.code) == (503, "PAYMENT_PROVIDER_UNAVAILABLE")
    assert exc_info.value.details == {"during": "verify"}
    assert X402Payment.objects.count() == 0  # released: the same payment may be presented again


def test_a_facilitator_timing_out_on_verify_is_503_and_releases(broke: AgentPersona, settings: Any) -> None:
    settings.X402_FACILITATOR_TIMEOUT_SECONDS = 0.3
    with sleeping_server(5) as url:
        settings.X402_FACILITATOR_URL = url
        with pytest.raises(gateway.PaymentProviderUnavailable) as exc_info:
            pay(broke, make_payment_header(required()))
    assert status_of(exc_info.value) == 503
    assert X402Payment.objects.count() == 0


def test_a_facilitator_500_on_verify_is_502_and_releases(broke: AgentPersona, settings: Any) -> None:
    fac = start_local_facilitator(options=FacilitatorOptions(verify_status=500))
    settings.X402_FACILITATOR_URL = fac.url
    header = make_payment_header(required())
    try:
        with pytest.raises(gateway.PaymentProviderUnavailable) as exc_info:
            pay(broke, header)
        assert (status_of(exc_info.value), exc_info.value.code) == (502, "PAYMENT_PROVIDER_UNAVAILABLE")
        assert X402Payment.objects.count() == 0

        fac.options.verify_status = None  # back up: the released payment goes through
        assert pay(broke, header).amount_micros == PRICE
    finally:
        fac.stop()


def test_a_settle_that_times_out_is_pending_and_reconciles_to_a_credit(broke: AgentPersona, settings: Any) -> None:
    # The facilitator settles on chain but answers after our timeout: money moved, we don't know.
    fac = start_local_facilitator(options=FacilitatorOptions(settle_delay_seconds=1.5))
    settings.X402_FACILITATOR_URL = fac.url
    settings.X402_FACILITATOR_TIMEOUT_SECONDS = 0.5
    key = new_private_key()
    try:
        with pytest.raises(gateway.PaymentOutcomePending) as exc_info:
            pay(broke, make_payment_header(required(), key))
        assert (status_of(exc_info.value), exc_info.value.code) == (502, "PAYMENT_OUTCOME_PENDING")
        payment = X402Payment.objects.get()
        assert (payment.status, payment.transaction) == (PaymentStatus.UNKNOWN, "")
        assert payment.error.startswith("settle ReadTimeout")
        transfer = fac.chain.authorization_transfer(payer=address_of(key), nonce=payment.nonce)
        assert transfer is not None

        call_command("x402_reconcile")
    finally:
        fac.stop()

    payment.refresh_from_db()
    assert (payment.status, payment.transaction) == (PaymentStatus.BOOKED, transfer.tx_hash)
    entry = LedgerEntry.objects.get(kind="x402_payment")
    assert (entry.agent_id, entry.amount_micros, entry.reference, entry.balance_after_micros) == (
        broke.agent.id, PRICE, payment.id, PRICE,
    )
    assert Agent.objects.get(id=broke.agent.id).balance_micros == PRICE
    call_command("x402_reconcile")  # nothing left: no second credit
    assert LedgerEntry.objects.filter(kind="x402_payment").count() == 1


def test_a_settle_500_is_pending_until_the_authorization_expires(broke: AgentPersona, settings: Any) -> None:
    fac = start_local_facilitator(options=FacilitatorOptions(settle_status=500))  # answers 500, settles nothing
    settings.X402_FACILITATOR_URL = fac.url
    try:
        with pytest.raises(gateway.PaymentOutcomePending):
            pay(broke, make_payment_header(required()))
        payment = X402Payment.objects.get()
        assert payment.status == PaymentStatus.UNKNOWN

        with pytest.raises(CommandError, match="1 x402 payment\\(s\\) still unknown"):
            call_command("x402_reconcile")  # still within validBefore: it could yet settle
        assert X402Payment.objects.get().status == PaymentStatus.UNKNOWN

        later = timezone.now() + timedelta(seconds=settings.X402_MAX_TIMEOUT_SECONDS + 60)
        results = reconcile.payments_reconcile(settled_grace=timedelta(minutes=10), now=later)
    finally:
        fac.stop()

    assert results == [reconcile.Reconciled(payment.id, PaymentStatus.FAILED, "nonce unused and authorization expired")]
    assert X402Payment.objects.get().status == PaymentStatus.FAILED
    assert LedgerEntry.objects.filter(kind="x402_payment").count() == 0


def test_a_settled_payment_whose_booking_died_is_credited(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    settled = pay(broke, make_payment_header(required()))

    assert reconcile.payments_reconcile(settled_grace=timedelta(minutes=10)) == []  # too fresh: its request may book it
    results = reconcile.payments_reconcile(settled_grace=timedelta(minutes=10), now=timezone.now() + timedelta(minutes=11))

    assert results == [reconcile.Reconciled(settled.payment_id, PaymentStatus.BOOKED, "credited")]
    assert Agent.objects.get(id=broke.agent.id).balance_micros == PRICE


def test_booking_an_unsettled_payment_is_refused(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    with pytest.raises(PaymentRequired):
        pay(broke, make_payment_header(required(), tamper=lambda d: d["payload"]["authorization"].update(value="1")))
    with pytest.raises(RuntimeError, match="is not settled"):
        gateway.payment_mark_booked(payment_id=X402Payment.objects.get().id)


def test_concurrent_presentations_of_one_payment_settle_once(broke: AgentPersona, facilitator: RunningFacilitator) -> None:
    header = make_payment_header(required())
    barrier = threading.Barrier(4)

    def attempt() -> str:
        barrier.wait()
        try:
            return "settled" if pay(broke, header).payment_id else "?"
        except PaymentRequired as exc:
            return exc.extra["x402"]["error"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(lambda _: attempt(), range(4)))

    assert outcomes == ["payment_already_used"] * 3 + ["settled"]
    assert X402Payment.objects.get().status == PaymentStatus.SETTLED
    assert facilitator.options.calls == ["POST /verify", "POST /settle"]
    assert facilitator.chain.balance_of(PAY_TO) == 1_000_000 + PRICE


def test_a_settlement_stuck_pending_keeps_its_transaction_and_reconciles(
    broke: AgentPersona, facilitator: RunningFacilitator
) -> None:
    facilitator.chain.confirmations_stalled = True  # broadcast, but no receipt: settlement_pending twice

    with pytest.raises(gateway.PaymentOutcomePending) as exc_info:
        pay(broke, make_payment_header(required()))

    payment = X402Payment.objects.get()
    assert payment.transaction.startswith("0x") and len(payment.transaction) == 66
    assert exc_info.value.details == {"transaction": payment.transaction}
    assert (payment.status, payment.error) == (PaymentStatus.UNKNOWN, "settlement_pending")
    assert facilitator.options.calls == ["POST /verify", "POST /settle", "POST /settle"]  # one retry, one transfer
    assert facilitator.chain.balance_of(PAY_TO) == 1_000_000 + PRICE

    call_command("x402_reconcile")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.BOOKED
    assert Agent.objects.get(id=broke.agent.id).balance_micros == PRICE
