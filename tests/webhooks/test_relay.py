"""The outbox relay (issue 17): NOTIFY at COMMIT → LISTEN → batch fan-out → `deliver` tasks.

Real PostgreSQL (NOTIFY is delivered at COMMIT, so these tests commit: `transaction=True`), a real
Redis broker on its own db index, real Celery workers and loopback receivers. The relay runs in a
thread of this process, with its own connections, exactly as `manage.py webhooks_relay` runs it.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction

from tests.conftest import make_agent
from webhooks import tasks
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.relay import APPLICATION_NAME, Relay
from webhooks.services import event_emit

from .conftest import subscribe, switch_broker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90), pytest.mark.postgres]

RELAY_BROKER = "redis://127.0.0.1:6379/9"
DEAD_BROKER = "redis://127.0.0.1:1"
CREATED = "support.ticket_created"


@pytest.fixture
def relay_on(settings: Any) -> Any:
    settings.WEBHOOK_RELAY = True
    settings.WEBHOOK_RELAY_DELIVERY_THREADS = 0  # every delivery to the Celery worker (see test_relay_attempts)
    return settings


@pytest.fixture
def queue(broker: Celery) -> Iterator[redis.Redis]:
    """The test broker (db 9), emptied before and after; tasks go there, not inline."""
    client = redis.Redis.from_url(RELAY_BROKER)
    client.flushdb()
    switch_broker(broker, url=RELAY_BROKER, eager=False)
    yield client
    client.flushdb()


def queued_tasks(client: redis.Redis) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message waiting on the default queue, oldest first."""
    out = []
    for raw in reversed(client.lrange("celery", 0, -1)):  # kombu LPUSHes, workers BRPOP
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


@contextmanager
def running_relay(**options: Any) -> Iterator[Relay]:
    relay = Relay(**options)
    thread = threading.Thread(target=relay.run, name="relay", daemon=True)
    thread.start()
    try:
        assert relay.listening.wait(10), "the relay did not start listening"
        yield relay
    finally:
        relay.stop()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the relay did not stop"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def fanned_out(public_id: str) -> bool:
    return Event.objects.filter(public_id=public_id, fanned_out_at__isnull=False).exists()


def emit(persona: Any, n: int = 0) -> Event:
    with transaction.atomic():  # stands in for the request's transaction: NOTIFY leaves at its COMMIT
        event = event_emit(agent_id=persona.agent.id, event_type=CREATED, data={"n": n})
    # With the relay the INSERT rides with the NOTIFY and isn't read back: the row, for its `seq`.
    return Event.objects.get(public_id=event.public_id)


def test_a_committed_event_reaches_the_receiver_through_the_relay_and_a_real_worker(
        relay_on, queue, broker, agent_a, local_targets, receiver):
    sub, _ = subscribe(agent_a, receiver.url())
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10), running_relay() as relay:
        event = emit(agent_a)
        (request,) = receiver.wait_for(1, timeout=20)
    assert json.loads(request.body)["id"] == event.public_id
    delivery = Delivery.objects.get()
    assert (delivery.event_id, delivery.subscription_id) == (event.seq, sub.id)
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 1)
    assert request.headers["webhook-id"] == delivery.id
    assert fanned_out(event.public_id)
    assert (relay.stats.notifications, relay.stats.events, relay.stats.deliveries, relay.stats.caught_up) == (1, 1, 1, 0)
    assert len(receiver.requests) == 1


def test_an_event_nobody_subscribed_to_is_marked_and_never_reaches_the_broker(
        relay_on, queue, agent_a, agent_b, local_targets, receiver):
    """Agent A has no subscription; agent B's event is the control: it does land on the queue."""
    sub_b, _ = subscribe(agent_b, receiver.url())
    with running_relay() as relay:
        lonely = emit(agent_a)
        wait_until(lambda: fanned_out(lonely.public_id), what="agent A's event to be fanned out")
        assert queue.llen("celery") == 0
        assert queue.dbsize() == 0  # not even a queue binding: nothing talked to the broker
        watched = emit(agent_b)
        wait_until(lambda: fanned_out(watched.public_id), what="agent B's event to be fanned out")
    delivery = Delivery.objects.get()
    assert (delivery.event_id, delivery.subscription_id) == (watched.seq, sub_b.id)
    assert queued_tasks(queue) == [("webhooks.deliver", [delivery.id])]  # no worker ran: it is still there
    assert (relay.stats.events, relay.stats.deliveries) == (2, 1)
    assert receiver.requests == []


def test_a_rolled_back_transaction_announces_nothing(relay_on, queue, agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    with running_relay() as relay:
        with pytest.raises(RuntimeError), transaction.atomic():
            event_emit(agent_id=agent_a.agent.id, event_type=CREATED, data={"rolled": "back"})
            raise RuntimeError("the ticket write failed")
        # Notifications arrive in commit order: once the marker is in, a rolled-back one would be too.
        marker = emit(agent_a)
        wait_until(lambda: fanned_out(marker.public_id), what="the marker event")
    assert Event.objects.count() == 1
    assert (relay.stats.notifications, relay.stats.events) == (1, 1)
    delivery = Delivery.objects.get()
    assert queued_tasks(queue) == [("webhooks.deliver", [delivery.id])]
    assert delivery.event_id == marker.seq


def test_with_the_relay_down_the_sweeper_still_delivers(relay_on, queue, broker, agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    event = emit(agent_a)  # announced to nobody: no relay is listening
    assert Event.objects.filter(public_id=event.public_id, fanned_out_at__isnull=True).exists()
    assert queue.dbsize() == 0  # the writer never touched the broker
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert tasks.sweep() == {"events_fanned_out": 1, "deliveries_queued": 0}
        (request,) = receiver.wait_for(1, timeout=20)
    assert json.loads(request.body)["id"] == event.public_id
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED
    assert tasks.sweep() == {"events_fanned_out": 0, "deliveries_queued": 0}
    assert len(receiver.requests) == 1


def _terminate_relay_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name = %s AND pid <> pg_backend_pid()", [APPLICATION_NAME])
        return int(cursor.fetchone()[0])


def test_a_killed_relay_reconnects_and_catches_up_on_what_committed_meanwhile(
        relay_on, queue, agent_a, local_targets, receiver, caplog):
    subscribe(agent_a, receiver.url())
    with caplog.at_level(logging.WARNING, logger="webhooks.relay"), running_relay(backoff_first=1.0) as relay:
        before = emit(agent_a, 1)
        wait_until(lambda: fanned_out(before.public_id), what="the first event")
        assert _terminate_relay_backends() == 2  # its LISTEN connection and its ORM connection
        wait_until(lambda: not relay.listening.is_set(), what="the relay to notice")
        missed = emit(agent_a, 2)  # committed while the relay waits out its back-off: nobody hears it
        wait_until(lambda: fanned_out(missed.public_id), what="the catch-up")
        after = emit(agent_a, 3)
        wait_until(lambda: fanned_out(after.public_id), what="the event after the reconnect")
    assert (relay.stats.connects, relay.stats.caught_up, relay.stats.events, relay.stats.notifications) == (2, 1, 3, 2)
    deliveries = dict(Delivery.objects.values_list("event_id", "id"))
    assert sorted(deliveries) == [before.seq, missed.seq, after.seq]
    assert queued_tasks(queue) == [("webhooks.deliver", [deliveries[e.seq]]) for e in (before, missed, after)]
    assert [r.getMessage() for r in caplog.records] == ["webhooks relay lost PostgreSQL; reconnecting in 1.0 s"]


def test_a_batch_from_several_agents_gets_one_delivery_per_matching_subscription(
        relay_on, queue, agent_a, agent_b, staff, local_targets, receiver):
    """Two relays and the sweeper race over 60 events committed at once: each pair is made once."""
    silent = make_agent("Silent agent")
    a_created, _ = subscribe(agent_a, receiver.url("/a"), event_types=[CREATED])
    a_messages, _ = subscribe(agent_a, receiver.url("/a2"), event_types=["support.message_created"])
    b_all, _ = subscribe(agent_b, receiver.url("/b"))
    staff_all, _ = subscribe(None, receiver.url("/staff"), staff_user=staff.user)
    with running_relay() as first, running_relay() as second:
        with transaction.atomic():
            events = [event_emit(agent_id=persona.agent.id, event_type=event_type, data={"i": i})
                      for i in range(10)
                      for persona in (agent_a, agent_b, silent)
                      for event_type in (CREATED, "support.message_created")]
        swept = tasks.sweep()["events_fanned_out"]
        wait_until(lambda: not Event.objects.filter(fanned_out_at__isnull=True).exists(), what="every event")
    events = list(Event.objects.filter(public_id__in=[e.public_id for e in events]))
    by_id = {e.seq: e for e in events}
    expected = set()
    for e in events:
        owner = e.agent_id
        if owner == agent_a.agent.id:
            expected.add((e.seq, a_created.id if e.type == CREATED else a_messages.id))
        elif owner == agent_b.agent.id:
            expected.add((e.seq, b_all.id))
        expected.add((e.seq, staff_all.id))
    made = list(Delivery.objects.values_list("event_id", "subscription_id"))
    assert len(made) == len(expected) == 60 + 20 + 20
    assert set(made) == expected
    queued = queued_tasks(queue)
    assert sorted(args[0] for _, args in queued) == sorted(Delivery.objects.values_list("id", flat=True))
    assert {name for name, _ in queued} == {"webhooks.deliver"}
    assert first.stats.events + second.stats.events + swept == len(by_id) == 60  # each event by exactly one
    assert Event.objects.filter(fanned_out_at__isnull=True).count() == 0


def test_an_api_ticket_needs_no_broker_and_is_delivered_once_the_relay_runs(
        relay_on, queue, broker, agent_a, local_targets, receiver, caplog):
    subscribe(agent_a, receiver.url(), event_types=[CREATED])
    switch_broker(broker, url=DEAD_BROKER, eager=False)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="support_project.taskqueue"):
        response = agent_a.client.post("/api/v1/support/tickets", {
            "category": "bug", "subject": "Relay", "body": "No broker in the request."}, format="json")
    took = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert caplog.records == []  # nothing tried to queue (a dead broker would have logged a warning)
    assert took < 1.5  # a publish attempt would have waited out the 2 s broker connect timeout
    ticket_id = response.json()["ticket_id"]
    (event,) = Event.objects.filter(type=CREATED)
    assert event.fanned_out_at is None

    switch_broker(broker, url=RELAY_BROKER, eager=False)
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10), running_relay() as relay:
        (request,) = receiver.wait_for(1, timeout=20)
    body = json.loads(request.body)
    assert (body["id"], body["type"], body["data"]["ticket"]["ticket_id"]) == (event.public_id, CREATED, ticket_id)
    assert relay.stats.caught_up == 1
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1


def test_the_command_relays_and_stops_cleanly_on_sigterm(relay_on, queue, agent_a, local_targets, receiver):
    """`manage.py webhooks_relay` as the Procfile runs it, against this test's database and broker."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "CELERY_BROKER_URL": RELAY_BROKER, "CELERY_TASK_ALWAYS_EAGER": "0", "WEBHOOK_RELAY": "1",
           "WEBHOOK_RELAY_DELIVERY_THREADS": "0"}
    subscribe(agent_a, receiver.url())
    process = subprocess.Popen([sys.executable, "manage.py", "webhooks_relay"], cwd=Path(__file__).resolve().parents[2],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def listening() -> bool:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                               "AND query ILIKE 'LISTEN%%'", [APPLICATION_NAME])
                return int(cursor.fetchone()[0]) == 1

        wait_until(listening, timeout=30, what="the relay process to LISTEN")
        event = emit(agent_a)
        wait_until(lambda: fanned_out(event.public_id), what="the relay process to fan the event out")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    # The event came by its notification or, committed between the LISTEN and the catch-up, by the catch-up.
    assert out.startswith("webhooks relay stopped: RelayStats(connects=1, ")
    assert "events=1, " in out and "deliveries=1, attempted=0)" in out
    delivery = Delivery.objects.get()
    assert queued_tasks(queue) == [("webhooks.deliver", [delivery.id])]
