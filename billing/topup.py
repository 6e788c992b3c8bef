"""Top up the virtual balance with an x402 payment (SPEC §10): `POST /api/v1/agents/topup`.

    stored = topup_x402(agent_id=…, amount_micros=1_000_000, resource_url=…, payment_signature=h, …)

Without a PAYMENT-SIGNATURE the answer is `402 PAYMENT_REQUIRED` with an x402 offer for exactly
the requested amount (`billing_reason: "topup"`). With one, `paywall.run_x402` does what the
ticket route does — Idempotency-Key claim, nonce reservation, verify and settle through the
facilitator before anything is booked — and the booking is one `x402_topup` credit whose
reference is the payment id (so one payment can never be booked twice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from support_project.domain import InvalidInput

from . import idempotency
from .idempotency import StoredResponse
from .models import LedgerKind
from .money import usd_str
from .paywall import PaidRequest, run_x402
from .serializers import TopupOut
from .services import ledger_credit

if TYPE_CHECKING:
    from .x402.gateway import SettledPayment

BILLING_REASON = "topup"
RECIPE = "/cookbook/billing#top-up-with-x402"


def topup_limits() -> tuple[int, int]:
    return settings.TOPUP_MIN_MICROS, settings.TOPUP_MAX_MICROS


def topup_check_amount(*, amount_micros: int) -> None:
    low, high = topup_limits()
    if not low <= amount_micros <= high:
        raise InvalidInput(
            f"A top-up is between ${usd_str(low)} and ${usd_str(high)}.",
            details={"amount_usd": [f"Must be between {usd_str(low)} and {usd_str(high)}."]},
        )


def topup_x402(
    *,
    agent_id: str,
    amount_micros: int,
    resource_url: str,
    payment_signature: str | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> StoredResponse:
    """402 with an offer for `amount_micros`, or settle the presented payment and credit it."""
    topup_check_amount(amount_micros=amount_micros)
    paid = PaidRequest(
        agent_id=agent_id, price_micros=amount_micros, charge_reference="topup", resource_url=resource_url,
        description=f"Top up the virtual balance by ${usd_str(amount_micros)}",
        payment_signature=payment_signature, idempotency_key=idempotency_key, fingerprint=fingerprint,
    )
    if not payment_signature:
        if idempotency_key:  # a finished top-up with this key replays, even without the header
            with transaction.atomic(durable=True):
                replay = idempotency.claim_in_transaction(agent_id=agent_id, key=idempotency_key, fp=fingerprint)
                transaction.set_rollback(True)
            if replay is not None:
                return replay
        raise _offer(paid)

    def book(settled: SettledPayment) -> StoredResponse:
        entry = ledger_credit(
            agent_id=agent_id, amount_micros=settled.amount_micros, kind=LedgerKind.X402_TOPUP,
            reference=settled.payment_id, memo=f"x402 top-up {settled.network} {settled.transaction}",
        )
        body = TopupOut({
            "amount_micros": entry.amount_micros, "payment_method": "x402", "payment_id": settled.payment_id,
            "id": entry.id, "balance_after_micros": entry.balance_after_micros, "network": settled.network,
            "transaction": settled.transaction, "payer": settled.payer, "created_at": entry.created_at,
        }).data
        return StoredResponse(201, dict(body))

    return run_x402(paid=paid, book=book)


def _offer(paid: PaidRequest) -> Exception:
    from .x402 import gateway

    amount = usd_str(paid.price_micros)
    return gateway.payment_required_error(
        agent_id=paid.agent_id, price_micros=paid.price_micros, resource_url=paid.resource_url,
        description=paid.description, error="Payment required", billing_reason=BILLING_REASON,
        message=(f"A top-up of ${amount}: pay the x402 offer in PAYMENT-REQUIRED (exactly ${amount} in USDC) and "
                 f"resend this request with PAYMENT-SIGNATURE; see {RECIPE}."),
    )
