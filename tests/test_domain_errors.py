"""Domain errors know nothing of HTTP; api/errors.py is the one place that maps them."""

from __future__ import annotations

import pytest

from support_project.api.errors import error_body, headers_of, status_of
from support_project.domain import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PaymentRequired,
    Unavailable,
    Unprocessable,
    UpstreamFailed,
)


@pytest.mark.parametrize(("error", "status", "code"), [
    (InvalidInput(details={"text": ["Required."]}), 400, "VALIDATION_ERROR"),
    (PaymentRequired(), 402, "PAYMENT_REQUIRED"),
    (PaymentRequired("Send a token.", code="AGENT_TOKEN_REQUIRED"), 402, "AGENT_TOKEN_REQUIRED"),
    (Forbidden(), 403, "INSUFFICIENT_SCOPE"),
    (Forbidden(code="STAFF_ONLY"), 403, "STAFF_ONLY"),
    (NotFound(), 404, "NOT_FOUND"),
    (Conflict("TICKET_CLOSED", "Closed."), 409, "TICKET_CLOSED"),
    (Unprocessable(code="IDEMPOTENCY_KEY_REUSED"), 422, "IDEMPOTENCY_KEY_REUSED"),
    (UpstreamFailed(), 502, "UPSTREAM_ERROR"),
    (Unavailable(), 503, "SERVICE_UNAVAILABLE"),
])
def test_each_kind_maps_to_one_status_and_the_envelope(error: DomainError, status: int, code: str) -> None:
    assert status_of(error) == status
    assert error_body(error) == {"code": code, "message": error.message, "details": error.details}
    assert not hasattr(error, "status_code")


def test_a_payment_required_carries_the_x402_headers_only_at_the_edge() -> None:
    error = PaymentRequired(x402_required="eyJ4IjoxfQ==", x402_settlement="eyJ5IjoyfQ==", extra={"price_usd": "0.01"})
    assert headers_of(error) == {
        "PAYMENT-REQUIRED": "eyJ4IjoxfQ==", "PAYMENT-RESPONSE": "eyJ5IjoyfQ==",
        "Access-Control-Expose-Headers": "PAYMENT-REQUIRED, PAYMENT-RESPONSE", "Cache-Control": "no-store",
    }
    assert error_body(error)["price_usd"] == "0.01"
    assert headers_of(PaymentRequired(code="AGENT_TOKEN_REQUIRED")) == {}
