"""Live streams (SPEC §10) against the production web command with 2 workers and real LISTEN/NOTIFY.

A stream killed mid-way and resumed with `Last-Event-ID` misses nothing and repeats nothing, even
when a slower transaction commits an earlier-inserted event after a later one; only committed
changes are announced; who may open which stream.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from django.db import connection, transaction

from accounts.services import usage_key_create
from live.models import LiveEvent
from support_project.txid import encode_position
from tests.conftest import AgentPersona, StaffPersona
from tickets import operators
from tickets.models import Ticket
from tickets.services import thread_message_add, ticket_lock

from .sse import SseStream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def open_ticket(persona: AgentPersona, subject: str = "Export times out") -> dict[str, Any]:
    response = persona.client.post("/api/v1/support/tickets", {"category": "bug", "subject": subject,
                                                               "body": "It stops after 30 s."}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def customer_stream(web: str, persona: AgentPersona | str, session_id: str, last_event_id: str = "") -> SseStream:
    token = persona if isinstance(persona, str) else persona.token
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    return SseStream(f"{web}/api/v1/demo/sessions/{session_id}/events", headers)


def reply(staff: StaffPersona, ticket_id: str, text: str, **extra: Any) -> None:
    ticket = Ticket.objects.get(public_id=ticket_id)
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text=text, **extra)


def customer_rows(agent_id: str) -> list[str]:
    """Every event id the agent's streams may carry, in position order (the source of truth)."""
    return [encode_position(t, s) for t, s in LiveEvent.objects.filter(agent_id=agent_id, customer=True)
            .order_by("txid", "seq").values_list("txid", "seq")]


def test_an_operator_reply_reaches_the_customer_stream(web, agent_a, staff):
    ticket = open_ticket(agent_a)
    with customer_stream(web, agent_a, ticket["support_session_id"]) as stream:
        assert stream.status_code == 200
        assert stream.response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert stream.response.headers["cache-control"] == "no-store"
        reply(staff, ticket["ticket_id"], "We are on it.")
        message, status = stream.take(2)
    assert message.event == "message"
    assert message.data["session_id"] == ticket["support_session_id"]
    assert message.data["message"]["text"] == "We are on it."
    assert message.data["message"]["author"] == "operator"
    assert message.data["message"]["author_name"] == "Olivia Operator"
    assert status.event == "ticket"
    assert status.data["support_status"] == "pending"
    assert status.data["changes"] == {"support_status": ["open", "pending"]}
    assert [message.id, status.id] == customer_rows(agent_a.agent.id)[-2:]


def test_a_stream_killed_mid_way_resumes_with_last_event_id_missing_nothing_repeating_nothing(web, agent_a, staff):
    ticket = open_ticket(agent_a)
    session = ticket["support_session_id"]
    first = customer_stream(web, agent_a, session)
    for n in range(3):
        reply(staff, ticket["ticket_id"], f"reply {n}", internal=False)
    seen = first.take(2)  # read part of what was sent, then the connection dies
    first.close()
    for n in range(3, 6):
        reply(staff, ticket["ticket_id"], f"reply {n}")
    agent_a.client.post(f"/api/v1/demo/sessions/{session}/messages", {"text": "customer follow-up"}, format="json")
    expected = customer_rows(agent_a.agent.id)
    start = expected.index(seen[-1].id) + 1
    # Resume (possibly on the other worker) from the last id this client saw.
    with customer_stream(web, agent_a, session, last_event_id=seen[-1].id) as resumed:
        rest = resumed.take(len(expected) - start)
        reply(staff, ticket["ticket_id"], "after the resume")
        live = resumed.take(2)  # the reply and its status change
    ids = [e.id for e in seen + rest + live]
    assert ids == customer_rows(agent_a.agent.id)[expected.index(seen[0].id):]
    assert len(ids) == len(set(ids))
    texts = [e.data["message"]["text"] for e in seen + rest + live if e.event == "message"]
    assert texts == [f"reply {n}" for n in range(6)] + ["customer follow-up", "after the resume"]


def test_a_slow_transaction_is_waited_for_not_skipped(web, agent_a, staff):
    """The slow writer inserts first and commits last: the stream shows the fast change only after
    the slow one committed, in position order, and a resume repeats nothing."""
    slow_ticket, fast_ticket = open_ticket(agent_a, "Slow"), open_ticket(agent_a, "Fast")
    written, release = threading.Event(), threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                locked = ticket_lock(ticket_pk=Ticket.objects.get(public_id=slow_ticket["ticket_id"]).pk)
                thread_message_add(ticket=locked, author="operator", author_name="Olivia", text="slow note",
                                   new_status="pending", awaiting_operator=False)
                written.set()
                assert release.wait(20)
        finally:
            connection.close()

    with customer_stream(web, agent_a, slow_ticket["support_session_id"]) as stream:
        thread = threading.Thread(target=slow, daemon=True)
        thread.start()
        assert written.wait(10)
        fast = agent_a.client.post(f"/api/v1/demo/sessions/{fast_ticket['support_session_id']}/messages",
                                   {"text": "fast"}, format="json")
        assert fast.status_code == 201
        assert stream.next(within=1.5) is None  # committed, but held back behind the open writer
        release.set()
        thread.join(10)
        events = stream.take(3)  # slow: message + status; fast: message
    assert [e.data["message"]["text"] for e in events if e.event == "message"] == ["slow note", "fast"]
    assert [e.id for e in events] == customer_rows(agent_a.agent.id)[-3:]
    with customer_stream(web, agent_a, slow_ticket["support_session_id"], last_event_id=events[0].id) as resumed:
        again = resumed.take(2)
    assert [e.id for e in again] == [e.id for e in events[1:]]


def test_rolled_back_changes_are_never_announced(web, agent_a, staff):
    ticket = open_ticket(agent_a)
    with customer_stream(web, agent_a, ticket["support_session_id"]) as stream:
        with pytest.raises(RuntimeError), transaction.atomic():
            reply(staff, ticket["ticket_id"], "never sent")
            raise RuntimeError("roll back")
        reply(staff, ticket["ticket_id"], "sent")
        message = stream.take(1, kinds=("message",))[0]
    assert message.data["message"]["text"] == "sent"


def test_internal_notes_reach_staff_streams_only(web, agent_a, staff):
    ticket = open_ticket(agent_a)
    staff_stream = SseStream(f"{web}/api/admin/support/events?ticket={ticket['number']}",
                             {"Authorization": f"Bearer {staff.token}"})
    with customer_stream(web, agent_a, ticket["support_session_id"]) as stream, staff_stream:
        reply(staff, ticket["ticket_id"], "internal: check the logs", internal=True)
        reply(staff, ticket["ticket_id"], "public answer")
        staff_events = staff_stream.take(3)
        customer_events = stream.take(2)
    # Each message, then the ticket's row as the inbox shows it (counts, status).
    assert [(e.event, e.data.get("internal")) for e in staff_events] == [
        ("message", True), ("ticket", None), ("message", False)]
    assert staff_events[1].data["ticket"]["number"] == ticket["number"]
    assert staff_events[1].data["ticket"]["message_count"] == 2
    assert staff_events[0].data["agent_id"] == agent_a.agent.id
    assert [e.event for e in customer_events] == ["message", "ticket"]
    assert customer_events[0].data["message"]["text"] == "public answer"
    assert "internal" not in customer_events[0].data and "agent_id" not in customer_events[0].data
    assert not LiveEvent.objects.filter(customer=True, data__message__text__contains="internal:").exists()


def test_the_customer_stream_follows_the_balance_and_other_threads(web, agent_a):
    first = open_ticket(agent_a, "First")
    with customer_stream(web, agent_a, first["support_session_id"]) as stream:
        second = open_ticket(agent_a, "Second")
        events = stream.take(2)
    assert {e.event for e in events} == {"ticket", "balance"}
    by_kind = {e.event: e.data for e in events}
    assert by_kind["balance"] == {"virtual_balance_usd": second["virtual_balance_usd"]}
    assert by_kind["ticket"]["session_id"] == second["support_session_id"]
    assert by_kind["ticket"]["created"] is True


def test_who_may_open_a_customer_stream(web, agent_a, agent_b, staff):
    ticket = open_ticket(agent_a)
    session = ticket["support_session_id"]
    url = f"{web}/api/v1/demo/sessions/{session}/events"

    def refused(headers: dict[str, str], target: str = url) -> tuple[int, dict[str, Any]]:
        with SseStream(target, headers) as stream:
            body = stream.json()
            assert stream.response.headers["content-type"] == "application/json"
            assert stream.response.headers["x-request-id"] == body["request_id"]
            return stream.status_code, body

    status, body = refused({})
    assert (status, body["code"]) == (401, "AUTHENTICATION_REQUIRED")
    assert set(body) == {"code", "message", "details", "request_id"}
    assert refused({"Authorization": "Bearer 411_nope"})[1]["code"] == "INVALID_TOKEN"
    assert refused({"Authorization": f"Bearer {agent_b.token}"}) [0] == 404
    assert refused({"Authorization": f"Bearer {agent_a.token}"}, f"{web}/api/v1/demo/sessions/%00/events")[0] == 404
    assert refused({"Authorization": f"Bearer {staff.token}"})[1]["code"] == "INSUFFICIENT_SCOPE"
    _, chat_only = usage_key_create(agent=agent_a.agent, label="chat", scopes=["chat"])
    status, body = refused({"Authorization": f"Bearer {chat_only}"})
    assert (status, body["code"], body["details"]) == (403, "INSUFFICIENT_SCOPE", {"required_scopes": ["support"]})
    status, body = refused({"Authorization": f"Bearer {agent_a.token}", "Last-Event-ID": "nope"})
    assert (status, list(body["details"])) == (400, ["Last-Event-ID"])
    _, support_key = usage_key_create(agent=agent_a.agent, label="support", scopes=["support"])
    with customer_stream(web, support_key, session) as stream:
        assert stream.status_code == 200
    assert httpx.post(url, headers={"Authorization": f"Bearer {agent_a.token}"}).status_code == 405


def test_who_may_open_the_staff_stream(web, agent_a, staff):
    url = f"{web}/api/admin/support/events"
    with SseStream(url, {"Authorization": f"Bearer {agent_a.token}"}) as stream:
        assert (stream.status_code, stream.json()["code"]) == (403, "STAFF_ONLY")
    with SseStream(url) as stream:
        assert (stream.status_code, stream.json()["code"]) == (401, "AUTHENTICATION_REQUIRED")
    with SseStream(f"{url}?ticket=999999", {"Authorization": f"Bearer {staff.token}"}) as stream:
        assert stream.status_code == 404
    with SseStream(url, {"Authorization": f"Bearer {staff.token}"}) as stream:
        assert stream.status_code == 200
        ticket = open_ticket(agent_a)
        created = stream.take(1, kinds=("ticket",))[0]
    assert created.data["created"] is True
    assert created.data["ticket"]["subject"] == "Export times out"
    assert created.data["ticket"]["number"] == ticket["number"]


def test_keep_alive_comments_flow_on_an_idle_stream(web, agent_a):
    ticket = open_ticket(agent_a)
    with customer_stream(web, agent_a, ticket["support_session_id"]) as stream:
        lines = stream.response.iter_lines()
        seen = [next(lines) for _ in range(4)]
    assert seen[0] == "retry: 2000"
    assert ": keep-alive" in seen
