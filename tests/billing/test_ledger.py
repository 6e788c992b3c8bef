"""The ledger (SPEC §3.1): integer micros, append-only, one entry per (kind, reference), audited."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from accounts.models import Agent
from billing.models import LedgerEntry
from billing.money import parse_usd, usd_str
from billing.services import InsufficientBalance, ledger_credit, ledger_credit_once, ledger_debit, staff_adjustment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("micros,text", [(0, "0.00"), (10_000, "0.01"), (190_000, "0.19"), (1_000_000, "1.00"),
                                         (1_500, "0.0015"), (1, "0.000001"), (-10_000, "-0.01")])
def test_usd_strings(micros, text):
    assert usd_str(micros) == text


@pytest.mark.parametrize("bad", ["-1", "abc", "1e400", "NaN", "0.0000001", ""])
def test_parse_usd_refuses_bad_amounts(bad):
    with pytest.raises(ValueError):
        parse_usd(bad)


def test_parse_usd_refuses_floats():
    with pytest.raises(ValueError):
        parse_usd(0.2)  # type: ignore[arg-type]


def test_debit_cannot_overdraw_and_changes_nothing(agent_a):
    with pytest.raises(InsufficientBalance), transaction.atomic():
        ledger_debit(agent_id=agent_a.agent.id, amount_micros=200_001, kind="ticket_charge", reference="t1")
    assert agent_a.balance_micros == 200_000
    assert LedgerEntry.objects.filter(kind="ticket_charge").count() == 0


def test_amounts_must_be_positive_integers(agent_a):
    for amount in (0, -5, 1.5, True):
        with pytest.raises((ValueError, TypeError)), transaction.atomic():
            ledger_credit(agent_id=agent_a.agent.id, amount_micros=amount, kind="grant", reference=f"g{amount}")
    with pytest.raises(ValueError), transaction.atomic():
        ledger_credit(agent_id=agent_a.agent.id, amount_micros=5, kind="ticket_charge", reference="wrong-kind")


def test_ledger_writes_need_a_transaction(agent_a):
    with pytest.raises(RuntimeError):
        # pytest-django wraps tests in a transaction, so leave it explicitly for this check.
        from django.db import connection

        in_block = connection.in_atomic_block
        connection.in_atomic_block = False
        try:
            ledger_credit(agent_id=agent_a.agent.id, amount_micros=5, kind="grant", reference="no-tx")
        finally:
            connection.in_atomic_block = in_block


def test_the_same_reference_is_booked_once(agent_a):
    with transaction.atomic():
        ledger_credit(agent_id=agent_a.agent.id, amount_micros=5, kind="refund", reference="r1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger_credit(agent_id=agent_a.agent.id, amount_micros=5, kind="refund", reference="r1")
    entry, created = ledger_credit_once(agent_id=agent_a.agent.id, amount_micros=5, kind="refund", reference="r1")
    assert not created and entry.amount_micros == 5
    assert agent_a.balance_micros == 200_005


def test_entries_are_append_only(agent_a):
    entry = LedgerEntry.objects.get()
    entry.memo = "edited"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_staff_adjustments_need_a_reason_and_are_entries(agent_a):
    with pytest.raises(ValueError):
        staff_adjustment(agent_id=agent_a.agent.id, amount_micros=100, reason="  ", staff_username="olivia")
    entry = staff_adjustment(agent_id=agent_a.agent.id, amount_micros=-50_000, reason="goodwill reversal",
                             staff_username="olivia")
    assert (entry.kind, entry.amount_micros, entry.balance_after_micros, entry.created_by) == (
        "adjustment", -50_000, 150_000, "olivia")


def test_ledger_audit_is_clean_then_catches_a_mismatch(agent_a, agent_b):
    call_command("ledger_audit")
    Agent.objects.filter(id=agent_b.agent.id).update(balance_micros=999)  # a write that bypassed the ledger
    with pytest.raises(CommandError, match="1 agent"):
        call_command("ledger_audit")


def test_balance_and_ledger_endpoints(agent_a, usage_key):
    with transaction.atomic():
        ledger_debit(agent_id=agent_a.agent.id, amount_micros=10_000, kind="ticket_charge", reference="tkt_x")
    assert agent_a.client.get("/api/v1/agents/balance").json() == {
        "agent_id": agent_a.agent.id, "virtual_balance_usd": "0.19", "virtual_balance_micros": 190_000}
    page = agent_a.client.get("/api/v1/agents/ledger?limit=1").json()
    assert [(e["kind"], e["amount_usd"], e["balance_after_usd"]) for e in page["results"]] == [("ticket_charge", "-0.01", "0.19")]
    rest = agent_a.client.get(f"/api/v1/agents/ledger?limit=1&cursor={page['next_cursor']}").json()
    assert [(e["kind"], e["amount_usd"]) for e in rest["results"]] == [("grant", "0.20")]
    assert rest["next_cursor"] is None
    assert usage_key(["billing:read"]).get("/api/v1/agents/balance").status_code == 200
    denied = usage_key(["support"]).get("/api/v1/agents/ledger")
    assert (denied.status_code, denied.json()["code"]) == (403, "INSUFFICIENT_SCOPE")


def test_ledger_list_query_count_is_fixed(agent_a, django_assert_num_queries):
    for i in range(5):
        with transaction.atomic():
            ledger_credit(agent_id=agent_a.agent.id, amount_micros=1, kind="refund", reference=f"r{i}")
    # 1 token+agent, 1 page of entries.
    with django_assert_num_queries(2):
        assert len(agent_a.client.get("/api/v1/agents/ledger?limit=100").json()["results"]) == 6
