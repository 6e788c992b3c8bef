"""The relay makes a fresh delivery's first attempt itself (WEBHOOK_RELAY_DELIVERY_THREADS), on real
PostgreSQL LISTEN/NOTIFY, a loopback receiver and a real Redis broker (no Celery worker runs here:
whatever reaches the queue stays there to be counted)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import make_agent
from tests.webhook_receiver import Reply
from webhooks.models import Delivery, DeliveryStatus

from .conftest import subscribe
from .test_relay import emit, queue, queued_tasks, running_relay, wait_until  # noqa: F401 - `queue` is a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


@pytest.fixture
def relay_attempts(settings: Any) -> Any:
    settings.WEBHOOK_RELAY = True
    settings.WEBHOOK_RELAY_DELIVERY_THREADS = 2
    return settings


def test_the_relay_delivers_a_fresh_event_itself_and_nothing_reaches_the_broker(
        relay_attempts, queue, agent_a, local_targets, receiver):  # noqa: F811
    subscribe(agent_a, receiver.url())
    with running_relay() as relay:
        event = emit(agent_a)
        (request,) = receiver.wait_for(1)
        wait_until(lambda: Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists(), what="recorded")
    assert json.loads(request.body)["id"] == event.public_id
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count, delivery.attempts.count()) == (DeliveryStatus.SUCCEEDED, 1, 1)
    assert request.headers["webhook-id"] == delivery.id
    assert (relay.stats.deliveries, relay.stats.attempted) == (1, 1)
    assert queued_tasks(queue) == []


def test_a_failed_first_attempt_is_scheduled_for_retry_like_a_workers(
        relay_attempts, queue, agent_a, local_targets, receiver):  # noqa: F811
    subscribe(agent_a, receiver.url())
    receiver.script(Reply(503))
    with running_relay():
        emit(agent_a)
        receiver.wait_for(1)
        wait_until(lambda: Delivery.objects.filter(status=DeliveryStatus.FAILED).exists(), what="recorded")
    delivery = Delivery.objects.get()
    assert (delivery.attempt_count, delivery.last_response_status, delivery.next_attempt_at is not None) == (1, 503, True)
    assert queued_tasks(queue) == []  # the retry is the sweeper's, when it is due


def test_beyond_twice_its_threads_the_relay_hands_deliveries_to_the_worker(
        relay_attempts, queue, agent_a, local_targets, receiver):  # noqa: F811
    receiver.default = Reply(200, delay=1.0)  # slow receiver: the relay's 2 threads stay busy
    subscribe(agent_a, receiver.url())
    agents = [agent_a] + [make_agent(f"Busy {i}") for i in range(5)]
    for persona in agents[1:]:
        subscribe(persona, receiver.url())
    with running_relay() as relay:
        for persona in agents:
            emit(persona)
        wait_until(lambda: relay.stats.deliveries == 6, what="all six fanned out")
        receiver.wait_for(4, timeout=15)  # the four the relay kept (2 threads × 2)
    queued = queued_tasks(queue)
    assert relay.stats.attempted + len(queued) == 6
    assert relay.stats.attempted >= 4 and {name for name, _ in queued} <= {"webhooks.deliver"}
    attempted_here = set(Delivery.objects.filter(attempt_count=1).values_list("id", flat=True))
    assert attempted_here.isdisjoint(args[0] for _, args in queued)  # never both


def test_an_attempt_that_raises_is_logged_frees_its_thread_and_the_relay_goes_on(
        relay_attempts, queue, agent_a, local_targets, receiver, monkeypatch, caplog):  # noqa: F811
    from webhooks import dispatch

    subscribe(agent_a, receiver.url())
    real_attempt = dispatch.delivery_attempt
    calls: list[str] = []

    def first_one_breaks(*, delivery_id: str):  # type: ignore[no-untyped-def]
        calls.append(delivery_id)
        if len(calls) == 1:
            raise RuntimeError("database went away mid-attempt")
        return real_attempt(delivery_id=delivery_id)

    monkeypatch.setattr(dispatch, "delivery_attempt", first_one_breaks)
    with running_relay() as relay:
        broken = emit(agent_a, 1)
        wait_until(lambda: len(calls) == 1, what="the first attempt")
        wait_until(lambda: relay._in_hand == 0, what="its thread to be freed")
        emit(agent_a, 2)
        (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["data"] == {"n": 2}
    assert "attempt of" in caplog.text and "failed" in caplog.text
    # The broken one was never claimed: it waits, due, for the sweeper (nothing lost, nothing sent twice).
    left = Delivery.objects.get(event__public_id=broken.public_id)
    assert (left.status, left.attempt_count) == (DeliveryStatus.PENDING, 0)
    assert queued_tasks(queue) == []
