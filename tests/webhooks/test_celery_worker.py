"""The outbox with a REAL Celery worker on Redis, and with the broker down at emit time.

The project's own app is used (its task names and config). The worker runs in a thread with its
own DB connection, so these tests commit for real (`transaction=True`).
"""

from __future__ import annotations

import json
import logging
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction
from django.utils import timezone

from tests.webhook_receiver import Reply
from webhooks import tasks
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.services import event_emit, event_record

from .conftest import subscribe
from .conftest import switch_broker as _switch_broker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

TEST_BROKER = "redis://127.0.0.1:6379/14"
DEAD_BROKER = "redis://127.0.0.1:1"


def test_a_real_worker_delivers_after_commit(broker, agent_a, local_targets, receiver):
    _switch_broker(broker, url=TEST_BROKER, eager=False)
    broker.control.purge()  # leftovers from an interrupted run
    subscribe(agent_a, receiver.url())
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={"n": 1})
        (request,) = receiver.wait_for(1, timeout=20)
    assert json.loads(request.body)["id"] == event.public_id
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 1)
    assert Event.objects.get().fanned_out_at is not None
    assert len(receiver.requests) == 1


def test_the_broker_being_down_at_emit_time_loses_nothing(broker, agent_a, local_targets, receiver, caplog):
    subscribe(agent_a, receiver.url())
    _switch_broker(broker, url=DEAD_BROKER, eager=False)
    with caplog.at_level(logging.WARNING, logger="support_project.taskqueue"):
        with transaction.atomic():  # stands in for the ticket request's transaction
            event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={"n": 2})
        # The commit went through; queueing failed and was logged, not raised.
    assert Event.objects.filter(public_id=event.public_id, fanned_out_at__isnull=True).exists()
    assert Delivery.objects.count() == 0
    assert receiver.requests == []
    assert [r.getMessage() for r in caplog.records] == [
        f"could not queue webhooks.dispatch_event({event.public_id}); the sweeper will retry"]

    _switch_broker(broker, url=TEST_BROKER, eager=True)  # the broker is back (tasks run inline here)
    assert tasks.sweep() == {"events_fanned_out": 1, "deliveries_queued": 0}

    (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["id"] == event.public_id
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED
    assert tasks.sweep() == {"events_fanned_out": 0, "deliveries_queued": 0}
    assert len(receiver.requests) == 1


def test_two_concurrent_deliver_tasks_post_once(agent_a, local_targets, receiver):
    """The claim is one conditional UPDATE: the loser finds nothing due, even mid-send."""
    sub, _ = subscribe(agent_a, receiver.url())
    receiver.script(Reply(200, delay=0.5))
    # Autocommit here would dispatch at once; build the due delivery by hand instead.
    event = event_record(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={}, dispatch=False)
    delivery_id = Delivery.objects.create(event=event, subscription=sub, next_attempt_at=timezone.now()).id
    barrier = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(tasks.deliver(delivery_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results) == ["skipped", "succeeded"]
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().attempt_count == 1
