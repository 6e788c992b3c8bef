"""GET /api/admin/support/tickets: every agent's tickets, filters, full-text search, cursor, fixed SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_agent
from tickets import operators
from tickets.models import Ticket

from .conftest import ADMIN, open_ticket

pytestmark = pytest.mark.django_db


def _numbers(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def test_it_lists_every_agents_tickets_newest_activity_first(agent_a, agent_b, staff):
    first = open_ticket(agent_a, subject="First")
    second = open_ticket(agent_b, category="billing", subject="Second")
    third = open_ticket(agent_a, category="other", subject="Third")
    operators.ticket_reply(ticket=first, staff_user=staff.user, text="Looking")  # bumps first's activity
    body = staff.client.get(ADMIN).json()
    assert [r["number"] for r in body["results"]] == [first.number, third.number, second.number]
    assert body["next_cursor"] is None
    first.refresh_from_db()
    assert body["results"][0] == {
        "ticket_id": first.public_id,
        "number": first.number,
        "subject": "First",
        "category": "bug",
        "support_status": "pending",
        "priority": "normal",
        "agent": {"id": agent_a.agent.id, "name": "Alice's agent"},
        "assignee": None,
        "created_at": first.created_at.isoformat().replace("+00:00", "Z"),
        "last_activity_at": first.last_activity_at.isoformat().replace("+00:00", "Z"),
        "message_count": 2,
        "bounty": {"eligible": True, "status": "pending_review", "amount_usd": "1.00"},
        "awaiting_operator_reply": False,
        "highlight": None,  # no search
    }
    assert body["results"][2]["bounty"] is None
    assert body["results"][2]["awaiting_operator_reply"] is True


def test_status_and_category_filters(agent_a, staff):
    bug = open_ticket(agent_a)
    billing = open_ticket(agent_a, category="billing", subject="Charged twice")
    operators.ticket_update_by_staff(ticket=billing, staff_user=staff.user, support_status="resolved")
    assert _numbers(staff.client.get(f"{ADMIN}?status=open")) == [bug.number]
    assert _numbers(staff.client.get(f"{ADMIN}?status=resolved")) == [billing.number]
    assert _numbers(staff.client.get(f"{ADMIN}?category=billing")) == [billing.number]
    assert _numbers(staff.client.get(f"{ADMIN}?category=bug&status=open")) == [bug.number]
    assert _numbers(staff.client.get(f"{ADMIN}?category=bug&status=closed")) == []


def test_bad_filters_are_400(staff):
    for query in ("status=nope", "category=x", "limit=0", "limit=101", "cursor=%%%", "colour=red"):
        response = staff.client.get(f"{ADMIN}?{query}")
        assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR"), query


def test_assignee_filter_me_username_and_none(agent_a, staff, django_user_model):
    other = django_user_model.objects.create_user(username="sam", password="pw-sam-12345", is_staff=True)
    mine, sams, nobodys = open_ticket(agent_a), open_ticket(agent_a), open_ticket(agent_a)
    operators.ticket_update_by_staff(ticket=mine, staff_user=staff.user, assignee="olivia")
    operators.ticket_update_by_staff(ticket=sams, staff_user=staff.user, assignee="sam")
    assert _numbers(staff.client.get(f"{ADMIN}?assignee=me")) == [mine.number]
    assert _numbers(staff.client.get(f"{ADMIN}?assignee=sam")) == [sams.number]
    assert _numbers(staff.client.get(f"{ADMIN}?assignee=none")) == [nobodys.number]
    assert _numbers(staff.client.get(f"{ADMIN}?assignee=nobody-by-that-name")) == []
    assert staff.client.get(f"{ADMIN}?assignee=sam").json()["results"][0]["assignee"] == "sam"
    assert other.assigned_tickets.count() == 1


def test_q_searches_subject_body_and_messages_including_internal_notes(agent_a, agent_b, staff):
    by_subject = open_ticket(agent_a, subject="Webhook signatures mismatch", body="HMAC fails.")
    by_body = open_ticket(agent_b, subject="Question", body="The exporter crashes on large files.")
    by_note = open_ticket(agent_a, subject="Slow", body="Everything is slow.")
    unrelated = open_ticket(agent_a, subject="Billing", body="Invoice please.", category="billing")
    operators.ticket_reply(ticket=by_note, staff_user=staff.user, text="Probably the pgbouncer pool.", internal=True)
    agent_a.client.post(f"/api/v1/demo/sessions/{unrelated.support_session_id}/messages",
                        {"text": "Also: the signature header is missing"}, format="json")
    assert _numbers(staff.client.get(f"{ADMIN}?q=webhook")) == [by_subject.number]
    # Stemming on PostgreSQL ("crash" finds "crashes"); icontains elsewhere.
    assert _numbers(staff.client.get(f"{ADMIN}?q=crashes")) == [by_body.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q=pgbouncer")) == [by_note.number]
    assert sorted(_numbers(staff.client.get(f"{ADMIN}?q=signature"))) == sorted([by_subject.number, unrelated.number])
    assert _numbers(staff.client.get(f"{ADMIN}?q=zebra")) == []
    assert _numbers(staff.client.get(f"{ADMIN}?q=%23{by_body.number}")) == [by_body.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q={by_note.public_id}")) == [by_note.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q=pgbouncer&status=closed")) == []


@pytest.mark.postgres
def test_q_uses_websearch_syntax_on_postgres(agent_a, staff, settings):
    if not settings.IS_POSTGRES:
        pytest.skip("PostgreSQL full-text search")
    both = open_ticket(agent_a, subject="Export times out", body="CSV export stops after 30 s.")
    only_export = open_ticket(agent_a, subject="Export button missing", body="Where did it go?")
    assert sorted(_numbers(staff.client.get(f"{ADMIN}?q=export"))) == sorted([both.number, only_export.number])
    assert _numbers(staff.client.get(f"{ADMIN}?q=export -csv")) == [only_export.number]
    assert _numbers(staff.client.get(f'{ADMIN}?q="times out"')) == [both.number]
    assert sorted(_numbers(staff.client.get(f"{ADMIN}?q=exported"))) == sorted([both.number, only_export.number])


def test_cursor_pages_are_stable_under_new_activity(agent_a, staff):
    tickets = [open_ticket(agent_a, subject=f"T{i}") for i in range(5)]
    base = timezone.now() - timedelta(hours=1)
    for i, ticket in enumerate(tickets):  # distinct, known activity times: T4 newest
        Ticket.objects.filter(pk=ticket.pk).update(last_activity_at=base + timedelta(minutes=i))
    page1 = staff.client.get(f"{ADMIN}?limit=2").json()
    assert [r["subject"] for r in page1["results"]] == ["T4", "T3"]
    open_ticket(agent_a, subject="New one")  # arrives between page fetches
    page2 = staff.client.get(f"{ADMIN}?limit=2&cursor={page1['next_cursor']}").json()
    assert [r["subject"] for r in page2["results"]] == ["T2", "T1"]
    page3 = staff.client.get(f"{ADMIN}?limit=2&cursor={page2['next_cursor']}").json()
    assert [r["subject"] for r in page3["results"]] == ["T0"]
    assert page3["next_cursor"] is None


@pytest.mark.parametrize("rows", [25, 100])
def test_list_runs_a_fixed_number_of_queries(staff, django_assert_num_queries, django_user_model, rows):
    payer = make_agent("Busy agent", grant_micros=10_000 * rows)
    sam = django_user_model.objects.create_user(username="sam", password="pw-sam-12345", is_staff=True)
    for i in range(rows):
        ticket = open_ticket(payer, category="bug" if i % 2 else "account", subject=f"Export problem {i}")
        if i % 3 == 0:
            Ticket.objects.filter(pk=ticket.pk).update(assignee=sam)
    # 1: the staff token joined to its user; 2: one page of tickets joined to agent and assignee.
    # Never a COUNT, never a query per row.
    with django_assert_num_queries(2):
        assert len(staff.client.get(f"{ADMIN}?limit={rows}").json()["results"]) == rows
    with django_assert_num_queries(2):
        assert len(staff.client.get(f"{ADMIN}?limit=10").json()["results"]) == 10
    with django_assert_num_queries(2):
        staff.client.get(f"{ADMIN}?limit={rows}&status=open&category=bug&assignee=sam&q=export")
