"""Faults with real processes (issue 9): the broker stopped while tickets are created, and a
Celery worker killed in the middle of a webhook delivery. Nothing is lost either way.

Each test runs its own redis-server on a spare port (so the suite's shared Redis keeps serving
other tests) and commits for real (`transaction=True`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone

from support_project.celery import app as celery_app
from tests.conftest import make_agent
from tests.webhook_receiver import Hang, Reply, WebhookReceiver
from tests.webhooks.conftest import subscribe
from tickets.models import Ticket
from webhooks import tasks
from webhooks.models import Delivery, DeliveryStatus, Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v1/support/tickets"
GOOD = {"category": "bug", "subject": "Outage", "body": "Created while the broker was down."}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    def __init__(self) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


def _switch_broker(url: str, *, eager: bool) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    redis = RedisProcess()
    redis.start()
    yield redis
    redis.stop()
    _switch_broker(saved[0], eager=saved[1])


@pytest.fixture
def receiver(settings) -> Iterator[WebhookReceiver]:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    with WebhookReceiver() as rx:
        yield rx


def test_tickets_are_created_while_the_broker_is_down_and_their_events_arrive_after(redis_process, receiver):
    agent = make_agent("Outage agent")
    subscribe(agent, receiver.url(), event_types=["support.ticket_created"])
    _switch_broker(redis_process.url, eager=False)
    redis_process.stop()  # the broker goes away

    responses = [agent.client.post(URL, GOOD, format="json") for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    created = [r.json()["ticket_id"] for r in responses]
    assert Ticket.objects.filter(agent=agent.agent).count() == 3
    assert Event.objects.filter(type="support.ticket_created", fanned_out_at__isnull=True).count() == 3
    assert receiver.requests == []

    redis_process.start()  # the broker is back; beat's next sweep runs through a real worker
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        celery_app.send_task("webhooks.sweep")
        received = receiver.wait_for(3, timeout=30)
    delivered = sorted(json.loads(r.body)["data"]["ticket"]["ticket_id"] for r in received)
    assert delivered == sorted(created)
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 3
    assert len(receiver.requests) == 3


def _worker(broker_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": broker_url, "CELERY_BROKER_URL": broker_url, "CELERY_TASK_ALWAYS_EAGER": "0",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1", "DEBUG": "1",
    }
    env.pop("TEST_DB_NAME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "support_project", "worker", "--pool", "prefork", "-c", "1",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def test_a_worker_killed_mid_delivery_still_delivers_the_event(redis_process, receiver):
    agent = make_agent("Killed worker agent")
    subscribe(agent, receiver.url(), event_types=["support.ticket_created"])
    receiver.script(Hang(60), Reply(200))  # the first attempt hangs until its worker dies
    _switch_broker(redis_process.url, eager=False)

    first = _worker(redis_process.url)
    try:
        response = agent.client.post(URL, GOOD, format="json")
        assert response.status_code == 201
        receiver.wait_for(1, timeout=30)  # the worker is inside the POST now
    finally:
        _kill_group(first)  # SIGKILL: no chance to record anything
    delivery = Delivery.objects.get()
    assert delivery.status != DeliveryStatus.SUCCEEDED
    assert delivery.attempt_count == 1

    # The claim's lease runs out (2 minutes in production; moved back here instead of waiting),
    # then the sweeper re-queues the delivery to a fresh worker.
    Delivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now() - timedelta(seconds=1),
                                                   queued_at=timezone.now() - timedelta(minutes=5))
    second = _worker(redis_process.url)
    try:
        tasks.sweep()
        received = receiver.wait_for(2, timeout=60)
        # The worker records the 2xx right after the POST returns: wait for it before stopping it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Delivery.objects.filter(
                id=delivery.id, status=DeliveryStatus.SUCCEEDED).exists():
            time.sleep(0.1)
    finally:
        _kill_group(second)
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"] == delivery.id
    assert json.loads(received[1].body)["data"]["ticket"]["ticket_id"] == response.json()["ticket_id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
