"""x402 v2 for paid routes (SPEC §3.2 steps 4–5, §3.3). The only module that talks to a facilitator.

    body = payment_required(price_micros=…, resource_url=…, description=…)   # PaymentRequired dict
    settled = settle_presented_payment(agent_id=…, header_value=…, …)      # or raises an DomainError
    payment_mark_booked(payment_id=settled.payment_id)                      # in the booking transaction

A presented payment is decoded, matched against *our* requirements (payTo from settings, never
from the client), **reserved** as an `X402Payment` row in its own committed transaction (the
unique (network, asset, payer, nonce) stops a replay that arrives between verify and settle),
then verified and settled through the facilitator before anything is created. No DB transaction
is open while we wait on the facilitator. Failure mapping:

| what happened                                   | error                                  | row       |
|-------------------------------------------------|----------------------------------------|-----------|
| header undecodable, not v2, not exact/EIP-3009  | 400 PAYMENT_INVALID                    | none      |
| accepted ≠ our requirements                     | 402 PAYMENT_REQUIRED                   | none      |
| (network, asset, payer, nonce) seen before      | 402, error payment_already_used        | untouched |
| verify isValid:false                            | 402, error = invalidReason             | failed    |
| facilitator unreachable/slow/5xx/bad JSON (verify, or settle never sent) | 503/502 PAYMENT_PROVIDER_UNAVAILABLE | deleted |
| settle success:false                            | 402 + PAYMENT-RESPONSE (success:false) | failed    |
| settle timed out / reset / 5xx / still pending  | 502 PAYMENT_OUTCOME_PENDING            | unknown   |
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from eth_utils import is_hex_address, to_checksum_address
from pydantic import ValidationError
from x402 import PaymentPayload, PaymentRequired, PaymentRequirements, ResourceInfo, SettleResponse
from x402.http import (
    FacilitatorConfig,
    HTTPFacilitatorClientSync,
    decode_payment_signature_header,
    encode_payment_required_header,
    encode_payment_response_header,
)
from x402.mechanisms.evm.constants import ERR_SETTLEMENT_PENDING
from x402.mechanisms.evm.exact import ExactEvmServerScheme
from x402.mechanisms.evm.types import ExactEIP3009Payload

from accounts.models import Agent
from billing.models import PaymentStatus, X402Payment
from billing.money import usd_str
from support_project.domain import InvalidInput, Unavailable, UpstreamFailed
from support_project.domain import PaymentRequired as PaymentRequiredError  # x402 has its own PaymentRequired

logger = logging.getLogger(__name__)

SCHEME = "exact"
# A real PAYMENT-SIGNATURE is ~1.1 KB; anything far larger is not one of ours to parse.
MAX_HEADER_CHARS = 8 * 1024
PAYMENT_ALREADY_USED = "payment_already_used"
REQUIREMENTS_MISMATCH = "payment_requirements_mismatch"


class PaymentInvalid(InvalidInput):
    code = "PAYMENT_INVALID"
    message = "The PAYMENT-SIGNATURE header is not a decodable x402 v2 exact/EIP-3009 payment."


class PaymentProviderUnavailable(Unavailable):
    """The facilitator could not be reached; nothing was paid and the reservation is released."""

    code = "PAYMENT_PROVIDER_UNAVAILABLE"
    message = "The payment facilitator is unavailable; nothing was charged. Retry the same payment later."


class PaymentProviderFailed(PaymentProviderUnavailable, UpstreamFailed):
    """The facilitator answered with garbage or a 5xx (a bad gateway, not a pause); nothing was paid."""


class PaymentOutcomePending(UpstreamFailed):
    """Settle was sent but its outcome is unknown: the row stays `unknown` for x402_reconcile."""

    code = "PAYMENT_OUTCOME_PENDING"
    message = (
        "The payment was sent for settlement but its outcome is not known yet; nothing was created. "
        "If it settled, the amount is credited to your virtual balance."
    )


@dataclass(frozen=True)
class SettledPayment:
    payment_id: str
    payer: str
    transaction: str
    network: str
    amount_micros: int
    response_header: str  # base64 SettlementResponse for the PAYMENT-RESPONSE header


# ---- what we ask for ----


def payment_requirements(*, price_micros: int) -> PaymentRequirements:
    """Our one `accepts[]` entry. Asset and EIP-712 `extra` come from the SDK's defaults per network."""
    if not isinstance(price_micros, int) or price_micros <= 0:
        raise ValueError("a price is a positive integer of micro-USD")
    network = settings.X402_NETWORK
    asset = ExactEvmServerScheme().parse_price(f"${usd_str(price_micros)}", network)
    return PaymentRequirements(
        scheme=SCHEME,
        network=network,
        asset=asset.asset,
        amount=str(price_micros),  # USDC has 6 decimals: atomic units are micro-USD
        pay_to=to_checksum_address(settings.X402_PAY_TO),
        max_timeout_seconds=settings.X402_MAX_TIMEOUT_SECONDS,
        extra=dict(asset.extra or {}),
    )


def _payment_required_model(
    *, price_micros: int, resource_url: str, description: str, error: str | None
) -> PaymentRequired:
    return PaymentRequired(
        x402_version=2,
        error=error,
        resource=ResourceInfo(url=resource_url, description=description, mime_type="application/json"),
        accepts=[payment_requirements(price_micros=price_micros)],
    )


def payment_required(*, price_micros: int, resource_url: str, description: str, error: str | None = None) -> dict[str, Any]:
    """The camelCase PaymentRequired v2 body (x402Version 2, resource, accepts=[exact])."""
    model = _payment_required_model(
        price_micros=price_micros, resource_url=resource_url, description=description, error=error
    )
    return model.model_dump(by_alias=True, exclude_none=True)


def encode_header(body: dict[str, Any]) -> str:
    """Standard base64 of the compact JSON, exactly as the SDK encodes PAYMENT-REQUIRED."""
    return encode_payment_required_header(PaymentRequired.model_validate(body))


def payment_required_error(
    *,
    agent_id: str,
    price_micros: int,
    resource_url: str,
    description: str,
    error: str,
    billing_reason: str,
    message: str | None = None,
    settle_response: SettleResponse | None = None,
) -> PaymentRequiredError:
    """The SPEC §3.2 402: body keys in `extra`, the same PaymentRequired encoded for the PAYMENT-REQUIRED header."""
    body = payment_required(price_micros=price_micros, resource_url=resource_url, description=description, error=error)
    balance = Agent.objects.filter(id=agent_id).values_list("balance_micros", flat=True).first() or 0
    default = (
        f"This request costs ${usd_str(price_micros)} and the virtual balance can't cover it: "
        "pay with x402 (PAYMENT-SIGNATURE), or top up the balance with POST /api/v1/agents/topup "
        "(see /cookbook/billing#top-up-with-x402)."
    )
    return PaymentRequiredError(
        message or default,
        details={} if billing_reason in ("virtual_balance_insufficient", "topup") else {"reason": error},
        x402_required=encode_header(body),
        x402_settlement=None if settle_response is None else encode_payment_response_header(settle_response),
        extra={
            "billing_reason": billing_reason,
            "price_usd": usd_str(price_micros),
            "virtual_balance_usd": usd_str(balance),
            "x402": body,
        },
    )


# ---- paying with a presented PAYMENT-SIGNATURE ----


@dataclass(frozen=True)
class _Presented:
    payload: PaymentPayload
    payer: str  # checksummed authorization.from
    nonce: str  # 0x + 64 lowercase hex


def _decode(header_value: str) -> _Presented:
    if not header_value or len(header_value) > MAX_HEADER_CHARS:
        raise PaymentInvalid(details={"reason": "missing_or_oversized_header"})
    try:
        payload = decode_payment_signature_header(header_value.strip())
    except (ValueError, ValidationError, TypeError, AttributeError) as exc:  # base64, UTF-8, JSON, not an object
        raise PaymentInvalid(details={"reason": "undecodable", "error": str(exc)[:200]}) from exc
    if not isinstance(payload, PaymentPayload) or payload.x402_version != 2:
        raise PaymentInvalid(
            "Only x402 v2 payments are accepted (PAYMENT-SIGNATURE with x402Version 2).",
            details={"reason": "unsupported_x402_version"},
        )
    try:
        auth = ExactEIP3009Payload.from_dict(payload.payload).authorization
        nonce = bytes.fromhex(auth.nonce.removeprefix("0x"))
        if not is_hex_address(auth.from_address) or len(nonce) != 32:
            raise ValueError("bad payer or nonce")
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise PaymentInvalid(details={"reason": "invalid_exact_evm_payload", "error": str(exc)[:200]}) from exc
    return _Presented(payload, to_checksum_address(auth.from_address), "0x" + nonce.hex())


def _mismatch(required: PaymentRequirements, accepted: PaymentRequirements) -> str | None:
    """Which field of `accepted` differs from ours (the SDK's matching rules: exact strings, extra ⊆)."""
    for name in ("scheme", "network", "asset", "amount", "pay_to", "max_timeout_seconds"):
        if getattr(required, name) != getattr(accepted, name):
            return PaymentRequirements.model_fields[name].alias or name
    theirs = accepted.extra or {}
    if any(theirs.get(k) != v for k, v in (required.extra or {}).items()):
        return "extra"
    return None


def _client() -> HTTPFacilitatorClientSync:
    return HTTPFacilitatorClientSync(
        FacilitatorConfig(url=settings.X402_FACILITATOR_URL, timeout=settings.X402_FACILITATOR_TIMEOUT_SECONDS)
    )


def _set(payment_id: str, **fields: Any) -> None:
    with transaction.atomic(durable=True):
        X402Payment.objects.filter(id=payment_id).update(updated_at=timezone.now(), **fields)


def _release(payment_id: str) -> None:
    with transaction.atomic(durable=True):
        X402Payment.objects.filter(id=payment_id, status=PaymentStatus.RESERVED).delete()


def settle_presented_payment(
    *,
    agent_id: str,
    header_value: str,
    price_micros: int,
    resource_url: str,
    description: str,
    resource_reference: str = "",
) -> SettledPayment:
    """Decode, match, reserve, verify, settle. Returns only once the money has moved on chain."""
    presented = _decode(header_value)
    required = payment_requirements(price_micros=price_micros)

    def rejected(error: str, message: str, settle_response: SettleResponse | None = None) -> PaymentRequiredError:
        return payment_required_error(
            agent_id=agent_id, price_micros=price_micros, resource_url=resource_url, description=description,
            error=error, billing_reason="x402_payment_rejected", message=message, settle_response=settle_response,
        )

    field_name = _mismatch(required, presented.payload.accepted)
    if field_name:
        raise rejected(REQUIREMENTS_MISMATCH, f"The payment's accepted.{field_name} does not match this route's requirements.")

    try:
        with transaction.atomic(durable=True):
            payment = X402Payment.objects.create(
                agent_id=agent_id, network=required.network, asset=required.asset, payer=presented.payer,
                nonce=presented.nonce, pay_to=required.pay_to, amount_atomic=int(required.amount),
                resource_reference=resource_reference,
                payload=presented.payload.model_dump(by_alias=True, exclude_none=True),
                requirements=required.model_dump(by_alias=True, exclude_none=True),
            )
    except IntegrityError:
        raise rejected(PAYMENT_ALREADY_USED, "This payment authorization was already presented; sign a new one.") from None

    with _client() as client:
        try:
            verified = client.verify(presented.payload, required)
        except Exception as exc:
            _release(payment.id)
            raise _provider_error(exc, during="verify") from exc
        if not verified.is_valid:
            reason = verified.invalid_reason or "invalid_payment"
            _set(payment.id, status=PaymentStatus.FAILED, error=reason[:255])
            raise rejected(reason, f"The facilitator rejected the payment: {reason}.")

        settled = _settle(client, payment.id, presented.payload, required)

    if not settled.success:
        reason = settled.error_reason or "settle_failed"
        _set(payment.id, status=PaymentStatus.FAILED, error=reason[:255], transaction=settled.transaction or "")
        raise rejected(reason, f"Settlement failed: {reason}.", settle_response=settled)

    _set(payment.id, status=PaymentStatus.SETTLED, transaction=settled.transaction, error="")
    logger.info("x402 payment %s settled: %s %s", payment.id, settled.network, settled.transaction)
    return SettledPayment(
        payment_id=payment.id, payer=presented.payer, transaction=settled.transaction, network=required.network,
        amount_micros=int(required.amount), response_header=encode_payment_response_header(settled),
    )


def _settle(
    client: HTTPFacilitatorClientSync, payment_id: str, payload: PaymentPayload, required: PaymentRequirements
) -> SettleResponse:
    """One settle, plus one retry on `settlement_pending` (as the SDK's resource server does).

    Only a first attempt that never reached the facilitator (connection refused) is safe to
    release; after anything was sent the transfer may have happened, so the row turns `unknown`.
    """
    for attempt in (1, 2):
        try:
            result = client.settle(payload, required)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if attempt == 1:
                _release(payment_id)
                raise _provider_error(exc, during="settle") from exc
            _mark_unknown(payment_id, f"settle retry unreachable: {exc}", "")
            raise PaymentOutcomePending() from exc
        except Exception as exc:  # read timeout, reset, 5xx (ValueError), bad JSON
            _mark_unknown(payment_id, f"settle {type(exc).__name__}: {exc}", "")
            raise PaymentOutcomePending() from exc
        if result.success or result.error_reason != ERR_SETTLEMENT_PENDING:
            return result
    _mark_unknown(payment_id, ERR_SETTLEMENT_PENDING, result.transaction or "")
    raise PaymentOutcomePending(details={"transaction": result.transaction or ""})


def _mark_unknown(payment_id: str, error: str, tx: str) -> None:
    logger.warning("x402 payment %s outcome unknown: %s", payment_id, error)
    _set(payment_id, status=PaymentStatus.UNKNOWN, error=error[:255], transaction=tx)


def _provider_error(exc: Exception, *, during: str) -> PaymentProviderUnavailable:
    # Unreachable or too slow → Unavailable (503: try later); garbage or a 5xx → UpstreamFailed (502).
    logger.warning("x402 facilitator %s failed: %r", during, exc)
    if isinstance(exc, httpx.TransportError):
        return PaymentProviderUnavailable(details={"during": during})
    return PaymentProviderFailed(details={"during": during})


def payment_mark_booked(*, payment_id: str) -> None:
    """Settled → booked, inside the caller's booking transaction. Idempotent for booked rows."""
    updated = X402Payment.objects.filter(
        id=payment_id, status__in=[PaymentStatus.SETTLED, PaymentStatus.UNKNOWN]
    ).update(status=PaymentStatus.BOOKED, updated_at=timezone.now())
    if not updated and not X402Payment.objects.filter(id=payment_id, status=PaymentStatus.BOOKED).exists():
        raise RuntimeError(f"x402 payment {payment_id} is not settled; it cannot be booked")


def authorization_status(*, payer: str, nonce: str) -> dict[str, Any] | None:
    """Ask the facilitator whether (payer, nonce) was transferred: the local facilitator's lookup.

    None when the facilitator has no such endpoint (a real one) or can't be asked right now.
    """
    url = f"{settings.X402_FACILITATOR_URL.rstrip('/')}/chain/authorizations/{payer}/{nonce}"
    try:
        response = httpx.get(url, timeout=settings.X402_FACILITATOR_TIMEOUT_SECONDS)
        if response.status_code != 200:
            return None
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("x402 authorization lookup failed: %r", exc)
        return None
    return body if isinstance(body, dict) and body.get("state") in {"transferred", "unused"} else None
