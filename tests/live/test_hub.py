"""The stream handler in-process: a disconnect unsubscribes at once; a slow stream is cut, not buffered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from live.hub import QUEUE_MAX, get_hub
from live.streams import LiveEndpoint
from tests.operators.conftest import open_ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def _scope(path: str, token: str) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "query_string": b"",
            "headers": [(b"authorization", f"Bearer {token}".encode())]}


def test_a_client_disconnect_ends_the_stream_and_unsubscribes(agent_a):
    ticket = open_ticket(agent_a)

    async def main() -> list[dict[str, Any]]:
        hub = await get_hub().started()
        sent: list[dict[str, Any]] = []
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        path = f"/api/v1/demo/sessions/{ticket.support_session_id}/events"
        task = asyncio.ensure_future(LiveEndpoint()(_scope(path, agent_a.token), receive, send))
        while hub.subscriber_count == 0:
            await asyncio.sleep(0.01)
        gone.set()
        await asyncio.wait_for(task, 5)
        assert hub.subscriber_count == 0
        await hub.stop()
        return sent

    sent = asyncio.run(main())
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"retry: 2000\n\n"


def test_a_slow_streams_queue_is_bounded_and_marks_it_for_closing(agent_a):
    """Its queue is bounded: past QUEUE_MAX the stream ends, and the client resumes from the table."""
    from live.hub import Subscriber
    from live.selectors import Row

    async def main() -> bool:
        subscriber = Subscriber(agent_id=agent_a.agent.id, topics=frozenset({"support"}))
        row = Row(seq=1, txid=1, kind="message", topic="support", agent_id=agent_a.agent.id, session_id="",
                  ticket_number=None, customer=True, staff=False, data={}, staff_data={})
        for _ in range(QUEUE_MAX + 1):
            subscriber.offer(row)
        return subscriber.overflowed and subscriber.queue.qsize() == QUEUE_MAX

    assert asyncio.run(main())
