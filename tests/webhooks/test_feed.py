"""The pull feed (SPEC §9, issue #16 item 12): ordered, resumable, and commit-order safe.

Real commits (`transaction=True`): the feed only returns events whose transaction has ended
before the reader's snapshot, so these tests commit like production does.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, transaction

from webhooks.models import Event
from webhooks.services import event_emit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def test_the_pull_feed_returns_own_events_in_order_with_a_cursor(agent_a, agent_b, usage_key):
    mine = [event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={"n": n}).public_id
            for n in range(5)]
    event_emit(agent_id=agent_b.agent.id, event_type="support.ticket_created", data={})
    client = usage_key(["support"])

    first = client.get("/api/v1/events", {"limit": 3}).json()
    assert [e["id"] for e in first["results"]] == mine[:3]
    assert first["results"][0] == json.loads(Event.objects.get(public_id=mine[0]).envelope)
    assert first["has_more"] is True
    second = client.get("/api/v1/events", {"limit": 3, "after": first["next_cursor"]}).json()
    assert [e["id"] for e in second["results"]] == mine[3:]
    assert second["has_more"] is False
    later = event_emit(agent_id=agent_a.agent.id, event_type="support.bounty_awarded", data={}).public_id
    third = client.get("/api/v1/events", {"after": second["next_cursor"]}).json()
    assert [e["id"] for e in third["results"]] == [later]
    empty = client.get("/api/v1/events", {"after": third["next_cursor"]}).json()
    assert empty == {"results": [], "next_cursor": third["next_cursor"], "has_more": False}
    bad = client.get("/api/v1/events", {"after": "nope"})
    assert bad.status_code == 400 and list(bad.json()["details"]) == ["after"]
    assert client.get("/api/v1/events", {"after": "ev_12-x"}).status_code == 400
    assert usage_key(["chat"]).get("/api/v1/events").status_code == 403


def test_a_cursor_from_before_positions_had_a_txid_still_resumes(agent_a):
    events = [event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={"n": n})
              for n in range(3)]
    page = agent_a.client.get("/api/v1/events", {"after": f"ev_{events[0].seq}"}).json()
    assert [e["id"] for e in page["results"]] == [e.public_id for e in events[1:]]


class HeldOpen:
    """A writer in another thread: emits an event, then keeps its transaction open until released."""

    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self.written = threading.Event()
        self.release = threading.Event()
        self.event_id = ""
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.event_id = event_emit(agent_id=self.agent_id, event_type="support.ticket_updated",
                                           data={"slow": True}).public_id
                self.written.set()
                assert self.release.wait(20)
        finally:
            connection.close()

    def __enter__(self) -> HeldOpen:
        self.thread.start()
        assert self.written.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.thread.join(10)


def test_a_transaction_held_open_across_a_read_loses_no_event(agent_a):
    """The slow writer's event was inserted first (lower seq) but commits last: a seq cursor would
    pass it and skip it forever. The feed waits for it instead, then returns it exactly once."""
    client = agent_a.client
    before = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={}).public_id
    with HeldOpen(agent_a.agent.id) as slow:
        fast = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={"fast": True})
        page = client.get("/api/v1/events").json()
        # What committed before the slow writer began is out; the faster, later event is held back.
        assert [e["id"] for e in page["results"]] == [before]
        cursor = page["next_cursor"]
        assert client.get("/api/v1/events", {"after": cursor}).json()["results"] == []
    assert Event.objects.get(public_id=slow.event_id).seq < fast.seq  # inserted first, committed last
    resumed = client.get("/api/v1/events", {"after": cursor}).json()
    assert [e["id"] for e in resumed["results"]] == [slow.event_id, fast.public_id]
    again = client.get("/api/v1/events", {"after": resumed["next_cursor"]}).json()
    assert again == {"results": [], "next_cursor": resumed["next_cursor"], "has_more": False}
    everything = client.get("/api/v1/events", {"limit": 100}).json()["results"]
    assert [e["id"] for e in everything] == [before, slow.event_id, fast.public_id]


def test_a_rolled_back_event_never_appears(agent_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={})
        raise RuntimeError("roll back")
    kept = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={}).public_id
    assert [e["id"] for e in agent_a.client.get("/api/v1/events").json()["results"]] == [kept]
