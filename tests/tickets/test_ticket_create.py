"""POST /api/v1/support/tickets (SPEC §4.1) on the virtual balance; x402 has its own tests."""

from __future__ import annotations

import base64
import json
import re

import pytest

from billing.models import LedgerEntry
from demo_sessions.models import DemoSession, Message
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/support/tickets"
GOOD = {"category": "bug", "subject": "Short title (≤120 chars)",
        "body": "What happened, expected behavior, steps to reproduce."}


def _counts():  # type: ignore[no-untyped-def]
    return (Ticket.objects.count(), DemoSession.objects.count(), Message.objects.count(), LedgerEntry.objects.count())


def test_it_opens_a_ticket_exactly_as_the_public_recipe_shows(agent_a):
    response = agent_a.client.post(URL, GOOD, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert body == {
        "ticket_id": ticket.public_id,
        "number": ticket.number,
        "support_session_id": ticket.support_session_id,
        "open_url": f"/demo?session={ticket.support_session_id}",
        "support_status": "open",
        "category": "bug",
        "subject": "Short title (≤120 chars)",
        "created_at": body["created_at"],
        "charged_usd": "0.01",
        "payment_method": "virtual_balance",
        "virtual_balance_usd": "0.19",
        "bounty": {"eligible": True, "status": "pending_review", "amount_usd": "1.00"},
        "allowed_transitions": ["closed"],
    }
    assert re.fullmatch(r"tkt_[0-9A-Za-z]{22}", body["ticket_id"])
    assert re.fullmatch(r"[0-9a-f]{32}", body["support_session_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["created_at"])
    assert response["Location"] == f"/api/v1/support/tickets/{ticket.public_id}"
    assert agent_a.balance_micros == 190_000
    charge = LedgerEntry.objects.get(kind="ticket_charge")
    assert (charge.amount_micros, charge.reference, charge.balance_after_micros) == (-10_000, ticket.public_id, 190_000)
    session = ticket.support_session
    assert (session.session_kind, session.title, session.agent_id) == ("support", GOOD["subject"], agent_a.agent.id)
    assert list(session.messages.values_list("author", "text")) == [("user", GOOD["body"])]


def test_non_bug_tickets_have_no_bounty(agent_a):
    body = agent_a.client.post(URL, {**GOOD, "category": "billing"}, format="json").json()
    assert body["bounty"] is None
    assert Ticket.objects.get().bounty_status is None


def test_numbers_are_sequential(agent_a, agent_b):
    n1 = agent_a.client.post(URL, GOOD, format="json").json()["number"]
    n2 = agent_b.client.post(URL, GOOD, format="json").json()["number"]
    assert n2 == n1 + 1


def test_subject_is_trimmed(agent_a):
    body = agent_a.client.post(URL, {**GOOD, "subject": "  padded  "}, format="json").json()
    assert body["subject"] == "padded"


def test_with_a_source_session_it_links_the_enrich_chat(agent_a):
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "Exports"}, format="json").json()
    response = agent_a.client.post(URL, {**GOOD, "source_session_id": chat["id"]}, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.source_session_id == chat["id"]
    system = Message.objects.get(session_id=chat["id"])
    assert system.author == "system"
    assert f"#{ticket.number}" in system.text and f"/demo?session={ticket.support_session_id}" in system.text
    assert system.metadata["ticket_id"] == ticket.public_id


BAD_BODIES = [
    ({**GOOD, "subject": "x" * 121}, "subject"),
    ({**GOOD, "subject": "line one\nline two"}, "subject"),
    ({**GOOD, "subject": "bell\x07"}, "subject"),
    ({**GOOD, "subject": "   "}, "subject"),
    ({**GOOD, "subject": ""}, "subject"),
    ({**GOOD, "body": ""}, "body"),
    ({**GOOD, "body": " \n\t "}, "body"),
    ({**GOOD, "body": "x" * 30_000}, "body"),
    ({**GOOD, "body": "nul \x00 byte"}, "body"),
    ({**GOOD, "category": "Bug"}, "category"),
    ({**GOOD, "category": "feature"}, "category"),
    ({**GOOD, "subject": 42}, "subject"),
    ({**GOOD, "body": 3.5}, "body"),
    ({**GOOD, "source_session_id": "not-hex"}, "source_session_id"),
    ({**GOOD, "source_session_id": 12}, "source_session_id"),
    ({**GOOD, "priority": "high"}, "priority"),
    ({"subject": "s", "body": "b"}, "category"),
]


@pytest.mark.parametrize("payload,field", BAD_BODIES)
def test_bad_input_is_400_and_changes_nothing(agent_a, payload, field):
    before = _counts()
    response = agent_a.client.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert _counts() == before
    assert agent_a.balance_micros == 200_000


def test_a_json_array_is_refused(agent_a):
    response = agent_a.client.post(URL, [GOOD], format="json")
    assert response.status_code == 400
    assert _counts() == (0, 0, 0, 1)


def test_source_session_of_another_agent_or_a_support_session_is_a_field_error(agent_a, agent_b):
    theirs = agent_b.client.post("/api/v1/demo/sessions", {}, format="json").json()["id"]
    support = agent_a.client.post(URL, GOOD, format="json").json()["support_session_id"]
    before = _counts()
    for sid in (theirs, support, "0" * 32):
        response = agent_a.client.post(URL, {**GOOD, "source_session_id": sid}, format="json")
        assert response.status_code == 400
        assert response.json()["details"] == {"source_session_id": ["Must be one of your enrich (chat) sessions."]}
    assert _counts() == before
    assert agent_a.balance_micros == 190_000


def test_no_token_on_the_paid_route_is_402_agent_token_required(anon):
    response = anon.post(URL, GOOD, format="json")
    assert response.status_code == 402
    assert response.json()["code"] == "AGENT_TOKEN_REQUIRED"
    assert Ticket.objects.count() == 0


def test_a_bad_token_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer 411_" + "z" * 43)
    assert anon.post(URL, GOOD, format="json").json()["code"] == "INVALID_TOKEN"


def test_usage_keys_need_the_support_scope(usage_key, agent_a):
    response = usage_key(["chat", "billing:read"]).post(URL, GOOD, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert usage_key(["support"]).post(URL, GOOD, format="json").status_code == 201


def test_an_empty_balance_is_402_payment_required_with_an_x402_offer(broke_agent):
    response = broke_agent.client.post(URL, GOOD, format="json")
    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "PAYMENT_REQUIRED"
    assert body["billing_reason"] == "virtual_balance_insufficient"
    assert (body["price_usd"], body["virtual_balance_usd"]) == ("0.01", "0.00")
    header = json.loads(base64.b64decode(response["PAYMENT-REQUIRED"]))
    assert header == body["x402"]
    assert header["x402Version"] == 2
    (accept,) = header["accepts"]
    assert (accept["scheme"], accept["network"], accept["amount"]) == ("exact", "eip155:84532", "10000")
    assert "PAYMENT-REQUIRED" in response["Access-Control-Expose-Headers"]
    assert _counts() == (0, 0, 0, 0)


def test_a_balance_drained_since_authentication_rolls_the_work_back(agent_a):
    """The pre-check uses the balance read at authentication; the locked UPDATE decides."""
    from django.db import transaction

    from billing.services import ledger_debit
    from tickets.services import ticket_open

    agent = agent_a.refresh()  # balance 0.20 as seen by the caller
    with transaction.atomic():
        ledger_debit(agent_id=agent.id, amount_micros=200_000, kind="adjustment", reference="drain")
    before = _counts()
    with pytest.raises(Exception) as excinfo:
        ticket_open(agent=agent, category="bug", subject="s", body="b", source_session=None,
                    resource_url="http://testserver/api/v1/support/tickets")
    assert getattr(excinfo.value, "code", None) == "PAYMENT_REQUIRED"
    assert _counts() == before


def test_the_charge_is_booked_once_and_the_ledger_audits_clean(agent_a):
    from django.core.management import call_command

    for _ in range(3):
        assert agent_a.client.post(URL, GOOD, format="json").status_code == 201
    assert agent_a.balance_micros == 170_000
    assert LedgerEntry.objects.filter(kind="ticket_charge").count() == 3
    call_command("ledger_audit")


def _statements(client, **headers):  # type: ignore[no-untyped-def]
    """SQL statements of one create, without the SAVEPOINT/RELEASE pair that only exists because
    the test itself runs inside a transaction (in production the block is BEGIN…COMMIT)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.post(URL, GOOD, format="json", **headers).status_code == 201
    return [q["sql"].split()[0] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_ticket_creation_runs_three_sql_statements(agent_a):
    # The token+agent SELECT; then (BEGIN) the ticket's number (nextval) carrying the support session
    # and its first message as CTEs; then — last, so the agent's balance row stays locked only until
    # COMMIT — the balance UPDATE … RETURNING with the ledger INSERT fed by it, carrying the ticket,
    # the outbox event and the live events with their NOTIFYs (support_project/sqlbatch.py).
    assert _statements(agent_a.client) == ["SELECT", "WITH", "WITH"]


def test_the_combined_statements_write_every_row(agent_a):
    from django.db import connection

    from live.models import LiveEvent
    from webhooks.models import Event

    def ticket_writes() -> tuple[int, int]:  # this backend's inserts and updates of tickets so far
        with connection.cursor() as cursor:
            cursor.execute("SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'tickets_ticket'")
            return cursor.fetchone()

    earlier = list(LiveEvent.objects.values_list("seq", flat=True))  # the fixture's starting grant
    inserts, updates = ticket_writes()
    assert agent_a.client.post(URL, GOOD, format="json").status_code == 201
    ticket = Ticket.objects.get()
    assert DemoSession.objects.get().id == ticket.support_session_id
    assert list(Message.objects.values_list("author", "text")) == [("user", GOOD["body"])]
    assert list(Event.objects.values_list("type", "agent_id")) == [("support.ticket_created", agent_a.agent.id)]
    assert sorted(LiveEvent.objects.exclude(seq__in=earlier).values_list("kind", "ticket_number")) == [
        ("balance", None), ("ticket", ticket.number)]
    # Written once: its first message went a statement before it, so its search vector was right at
    # INSERT (the message trigger found no ticket to refresh).
    assert ticket_writes() == (inserts + 1, updates)
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector_human::text FROM tickets_ticket")
        (vector,) = cursor.fetchone()
    assert re.search(r"'reproduc':\d+B,\d+C", vector), vector  # the body (B) and the first message (C)
    (entry,) = LedgerEntry.objects.filter(kind="ticket_charge")
    assert (entry.amount_micros, entry.balance_after_micros, entry.reference) == (-10_000, 190_000, ticket.public_id)


def test_with_an_idempotency_key_creation_runs_five_statements(agent_a):
    # The same 3 plus the key's claim INSERT … ON CONFLICT and its stored-response UPDATE.
    statements = _statements(agent_a.client, HTTP_IDEMPOTENCY_KEY="k-1")
    assert statements == ["SELECT", "INSERT", "WITH", "WITH", "UPDATE"]
