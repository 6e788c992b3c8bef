"""Resolving x402 payments whose outcome was unknown, or that settled but were never booked
(`manage.py x402_reconcile`). Asks the facilitator through `gateway`, the only module that calls it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.models import PaymentStatus, X402Payment

from .gateway import _set, authorization_status


@dataclass(frozen=True)
class Reconciled:
    payment_id: str
    status: str  # the row's status afterwards: booked | failed | unknown
    detail: str


def payments_reconcile(*, settled_grace: timedelta, now: datetime | None = None) -> list[Reconciled]:
    """Resolve `unknown` rows, and book `settled` rows older than `settled_grace` whose booking died.

    Settled on chain → `x402_payment` credit to the agent (once per payment id) and `booked`, so
    the money is never lost. Nonce unused and the authorization expired → `failed` (it can never
    settle now). Anything else stays `unknown` and is reported.
    """
    now = now or timezone.now()
    results: list[Reconciled] = []
    stale_settled = X402Payment.objects.filter(status=PaymentStatus.SETTLED, updated_at__lt=now - settled_grace)
    for payment_id in stale_settled.values_list("id", flat=True):
        results.append(_book_credit(payment_id, from_status=PaymentStatus.SETTLED, tx=None))
    for payment in X402Payment.objects.filter(status=PaymentStatus.UNKNOWN).order_by("created_at"):
        status = authorization_status(payer=payment.payer, nonce=payment.nonce)
        if status is None:
            results.append(Reconciled(payment.id, PaymentStatus.UNKNOWN, "facilitator has no answer; check the chain"))
        elif status["state"] == "transferred":
            if str(status.get("to", "")).lower() != payment.pay_to.lower() or status.get("value") != str(payment.amount_atomic):
                results.append(Reconciled(payment.id, PaymentStatus.UNKNOWN, f"transfer does not match: {status}"))
            else:
                results.append(_book_credit(payment.id, from_status=PaymentStatus.UNKNOWN, tx=str(status["transaction"])))
        else:
            valid_before = int(payment.payload.get("payload", {}).get("authorization", {}).get("validBefore", 0) or 0)
            if valid_before and valid_before < now.timestamp():
                _set(payment.id, status=PaymentStatus.FAILED, error="not settled; authorization expired")
                results.append(Reconciled(payment.id, PaymentStatus.FAILED, "nonce unused and authorization expired"))
            else:
                results.append(Reconciled(payment.id, PaymentStatus.UNKNOWN, f"not settled yet; valid until {valid_before}"))
    return results


def _book_credit(payment_id: str, *, from_status: str, tx: str | None) -> Reconciled:
    from billing.services import ledger_credit_once

    with transaction.atomic(durable=True):
        payment = X402Payment.objects.select_for_update().filter(id=payment_id, status=from_status).first()
        if payment is None:  # resolved meanwhile (e.g. the request's own booking committed)
            return Reconciled(payment_id, "", "already resolved")
        _, created = ledger_credit_once(
            agent_id=payment.agent_id, amount_micros=payment.amount_atomic, kind="x402_payment",
            reference=payment.id, memo=f"x402 {payment.network} {tx or payment.transaction} (reconciled)",
            created_by="x402_reconcile",
        )
        fields: dict[str, Any] = {"status": PaymentStatus.BOOKED, "updated_at": timezone.now()}
        if tx:
            fields["transaction"] = tx
        X402Payment.objects.filter(id=payment_id).update(**fields)
    return Reconciled(payment_id, PaymentStatus.BOOKED, "credited" if created else "credit already booked")
