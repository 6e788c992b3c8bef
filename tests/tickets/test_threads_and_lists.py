"""Support threads, demo sessions, customer lists and close (SPEC §4.2, §4.3)."""

from __future__ import annotations

import pytest

from billing.models import LedgerEntry
from demo_sessions.models import Author, Message
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/support/tickets"
GOOD = {"category": "bug", "subject": "Export times out", "body": "After 30 s the CSV export fails."}


def _open(persona, **overrides):  # type: ignore[no-untyped-def]
    response = persona.client.post(TICKETS, {**GOOD, **overrides}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _msg_url(sid: str) -> str:
    return f"/api/v1/demo/sessions/{sid}/messages"


def test_the_recipes_follow_up_message_is_free(agent_a):
    created = _open(agent_a)
    ledger_before = LedgerEntry.objects.count()
    response = agent_a.client.post(_msg_url(created["support_session_id"]), {"text": "Additional detail…"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["author"], body["text"]) == ("user", "Additional detail…")
    assert body["id"].startswith("msg_")
    assert LedgerEntry.objects.count() == ledger_before
    assert agent_a.balance_micros == 190_000
    assert Ticket.objects.get().message_count == 2


@pytest.mark.parametrize("status", [TicketStatus.PENDING, TicketStatus.RESOLVED])
def test_a_customer_message_reopens_pending_and_resolved(agent_a, status):
    created = _open(agent_a)
    Ticket.objects.update(status=status, awaiting_operator=False)
    agent_a.client.post(_msg_url(created["support_session_id"]), {"text": "Still broken"}, format="json")
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.awaiting_operator) == ("open", True)


def test_a_closed_ticket_takes_no_messages(agent_a):
    created = _open(agent_a)
    Ticket.objects.update(status=TicketStatus.CLOSED)
    before = Message.objects.count()
    response = agent_a.client.post(_msg_url(created["support_session_id"]), {"text": "hello?"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "TICKET_CLOSED"
    assert Message.objects.count() == before


@pytest.mark.parametrize("payload", [
    {"text": ""}, {"text": "   "}, {"text": "x" * 10_001}, {"text": 5}, {}, {"text": "a", "x": 1},
])
def test_bad_messages_are_400(agent_a, payload):
    created = _open(agent_a)
    before = Message.objects.count()
    response = agent_a.client.post(_msg_url(created["support_session_id"]), payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert Message.objects.count() == before


def test_another_agents_ids_are_404_everywhere(agent_a, agent_b):
    created = _open(agent_a)
    sid, tid = created["support_session_id"], created["ticket_id"]
    for response in (
        agent_b.client.get(f"{TICKETS}/{tid}"),
        agent_b.client.post(f"{TICKETS}/{tid}/close", format="json"),
        agent_b.client.get(f"/api/v1/demo/sessions/{sid}"),
        agent_b.client.post(_msg_url(sid), {"text": "hi"}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
    assert Message.objects.count() == 1
    assert Ticket.objects.get().status == "open"


def test_session_detail_never_shows_internal_notes(agent_a, staff):
    created = _open(agent_a)
    ticket = Ticket.objects.get()
    Message.objects.create(session_id=ticket.support_session_id, author=Author.OPERATOR, internal=True,
                           author_name="Olivia", text="internal: looks like a real bug")
    Message.objects.create(session_id=ticket.support_session_id, author=Author.OPERATOR,
                           author_name="Olivia", text="Thanks, we're on it.")
    detail = agent_a.client.get(f"/api/v1/demo/sessions/{created['support_session_id']}").json()
    assert [(m["author"], m["text"]) for m in detail["messages"]] == [
        ("user", GOOD["body"]), ("operator", "Thanks, we're on it."),
    ]
    assert detail["support"] == {"ticket_id": ticket.public_id, "number": ticket.number, "support_status": "open"}


def test_sidebar_lists_sessions_most_recent_first_with_kind_filter(agent_a):
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "Chat"}, format="json").json()
    created = _open(agent_a)
    listed = agent_a.client.get("/api/v1/demo/sessions").json()
    assert [s["id"] for s in listed["results"]] == [created["support_session_id"], chat["id"]]
    assert listed["results"][0]["support"]["ticket_id"] == created["ticket_id"]
    assert listed["results"][1]["support"] is None
    support_only = agent_a.client.get("/api/v1/demo/sessions?kind=support").json()["results"]
    assert [s["session_kind"] for s in support_only] == ["support"]
    bad = agent_a.client.get("/api/v1/demo/sessions?kind=nope")
    assert bad.status_code == 400


def test_session_list_query_count_is_fixed(agent_a, django_assert_num_queries):
    for _ in range(3):
        _open(agent_a)
    # 1 token+agent, 1 sessions page joined to its tickets — whatever the page size.
    with django_assert_num_queries(2):
        assert len(agent_a.client.get("/api/v1/demo/sessions?limit=2").json()["results"]) == 2
    with django_assert_num_queries(2):
        assert len(agent_a.client.get("/api/v1/demo/sessions?limit=100").json()["results"]) == 3


def test_ticket_list_paginates_with_cursors_and_filters(agent_a, agent_b, django_assert_num_queries):
    ids = [_open(agent_a, subject=f"T{i}")["ticket_id"] for i in range(5)]
    _open(agent_b)
    Ticket.objects.filter(public_id=ids[0]).update(status="closed")
    # 1 token+agent, 1 page of tickets.
    with django_assert_num_queries(2):
        page1 = agent_a.client.get(f"{TICKETS}?limit=2").json()
    assert [t["ticket_id"] for t in page1["results"]] == ids[::-1][:2]
    page2 = agent_a.client.get(f"{TICKETS}?limit=2&cursor={page1['next_cursor']}").json()
    page3 = agent_a.client.get(f"{TICKETS}?limit=2&cursor={page2['next_cursor']}").json()
    assert [t["ticket_id"] for t in page2["results"] + page3["results"]] == ids[::-1][2:]
    assert page3["next_cursor"] is None
    closed = agent_a.client.get(f"{TICKETS}?status=closed").json()["results"]
    assert [t["ticket_id"] for t in closed] == [ids[0]]
    assert agent_a.client.get(f"{TICKETS}?status=bogus").status_code == 400
    assert agent_a.client.get(f"{TICKETS}?cursor=garbage").status_code == 400
    assert agent_a.client.get(f"{TICKETS}?limit=0").status_code == 400


def test_ticket_detail_and_close(agent_a):
    created = _open(agent_a)
    detail = agent_a.client.get(f"{TICKETS}/{created['ticket_id']}").json()
    assert (detail["support_status"], detail["allowed_transitions"], detail["body"]) == ("open", ["closed"], GOOD["body"])
    closed = agent_a.client.post(f"{TICKETS}/{created['ticket_id']}/close", format="json")
    assert closed.status_code == 200
    assert (closed.json()["support_status"], closed.json()["allowed_transitions"]) == ("closed", [])
    again = agent_a.client.post(f"{TICKETS}/{created['ticket_id']}/close", format="json")
    assert again.status_code == 200
    assert Message.objects.filter(author="system").count() == 1


def test_usage_key_scopes_for_sessions(usage_key):
    assert usage_key(["chat"]).get("/api/v1/demo/sessions").status_code == 200
    assert usage_key(["support"]).get("/api/v1/demo/sessions").status_code == 200
    denied = usage_key(["billing:read"]).get("/api/v1/demo/sessions")
    assert (denied.status_code, denied.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    assert usage_key(["chat"]).get(TICKETS).status_code == 403
