"""Garbage PAYMENT-SIGNATURE on the paid route: always 400 PAYMENT_INVALID, nothing charged or created."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import LedgerEntry, X402Payment
from tests.conftest import make_agent
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKET = {"category": "bug", "subject": "Paid with garbage", "body": "This must not be created."}

_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                        max_size=3),
                            max_leaves=10)
garbage = st.one_of(
    st.text(min_size=1, max_size=300).filter(lambda s: s.strip() and "\n" not in s and "\r" not in s),
    # base64 of arbitrary JSON, and of JSON shaped like a v2 payload with junk inside
    _json_values.map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
    st.fixed_dictionaries({"x402Version": st.sampled_from([1, 2, 3, "2", None]), "payload": _json_values,
                           "accepted": _json_values})
      .map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
)


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(signature=garbage)
def test_garbage_payment_signature_is_400_payment_invalid(signature: str, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 0
    broke = make_agent("Broke agent", grant_micros=0)
    tickets, ledger, payments = Ticket.objects.count(), LedgerEntry.objects.count(), X402Payment.objects.count()

    response = broke.client.post("/api/v1/support/tickets", TICKET, format="json", HTTP_PAYMENT_SIGNATURE=signature)

    assert response.status_code == 400, (signature, response.content)
    assert response.json()["code"] == "PAYMENT_INVALID"
    assert (Ticket.objects.count(), LedgerEntry.objects.count(), X402Payment.objects.count()) == (
        tickets, ledger, payments)
    assert broke.balance_micros == 0
