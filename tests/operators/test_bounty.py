"""Bug bounties: the decision, the Celery task, and exactly one $1.00 credit (SPEC §6)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.db import connection

from billing.models import LedgerEntry
from demo_sessions.models import Author, Message
from support_project.celery import app as celery_app
from tests.conftest import make_agent
from tickets import bounty
from tickets.models import Ticket
from tickets.tasks import bounty_award_task
from webhooks.models import Event

from .conftest import ADMIN, open_ticket

BOUNTY = 1_000_000
CREDIT_TEXT = "Bug bounty of $1.00 credited to your virtual balance"


def _bounties() -> list[tuple[str, int, str]]:
    return list(LedgerEntry.objects.filter(kind="bug_bounty").values_list("agent_id", "amount_micros", "reference"))


def _system_messages(ticket: Ticket) -> list[str]:
    return list(Message.objects.filter(session_id=ticket.support_session_id, author=Author.SYSTEM)
                .values_list("text", flat=True))


def _assert_awarded_once(ticket: Ticket, agent_id: str, balance_before: int) -> None:
    ticket.refresh_from_db()
    assert ticket.bounty_status == "awarded"
    assert _bounties() == [(agent_id, BOUNTY, ticket.public_id)]
    assert LedgerEntry.objects.get(kind="bug_bounty").balance_after_micros == balance_before + BOUNTY
    texts = _system_messages(ticket)
    assert len(texts) == 1 and texts[0].startswith(CREDIT_TEXT)
    assert Event.objects.filter(type="support.bounty_awarded").count() == 1
    call_command("ledger_audit")  # raises CommandError on any mismatch


@pytest.mark.django_db
class TestDecisions:
    def test_bounty_on_a_non_bug_is_409_and_changes_nothing(self, agent_a, staff):
        ticket = open_ticket(agent_a, category="billing")
        for decision in ("confirm", "reject"):
            response = staff.client.post(f"{ADMIN}/{ticket.public_id}/bounty", {"decision": decision}, format="json")
            assert (response.status_code, response.json()["code"]) == (409, "BOUNTY_NOT_ELIGIBLE")
        ticket.refresh_from_db()
        assert (ticket.bounty_status, ticket.bounty_decided_by_id) == (None, None)
        assert _bounties() == []

    @pytest.mark.parametrize("payload", [{}, {"decision": "maybe"}, {"decision": "confirm", "x": 1},
                                         {"decision": "confirm", "note": "n" * 2001}])
    def test_bad_bounty_bodies_are_400(self, bug, staff, payload):
        response = staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", payload, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")

    def test_confirm_records_the_decision_and_queues_the_task_after_commit(
            self, agent_a, bug, staff, django_capture_on_commit_callbacks):
        balance = agent_a.balance_micros
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "confirm", "note": "Real bug"},
                                         format="json")
        assert response.status_code == 200
        body = response.json()
        assert (body["changed"], body["queued"]) == (True, True)
        assert body["ticket"]["bounty"]["status"] == "confirmed"
        assert body["ticket"]["bounty"]["decided_by"] == "olivia"
        assert body["ticket"]["bounty"]["note"] == "Real bug"
        assert len(callbacks) == 1
        assert _bounties() == []  # nothing credited before the task runs
        assert agent_a.balance_micros == balance

        assert bounty_award_task.run(bug.pk) == "awarded"
        assert bounty_award_task.run(bug.pk) == "already_awarded"
        assert bounty_award_task.run(bug.pk) == "already_awarded"
        _assert_awarded_once(bug, agent_a.agent.id, balance)
        assert agent_a.balance_micros == balance + BOUNTY
        detail = staff.client.get(f"{ADMIN}/{bug.public_id}").json()
        assert detail["agent"]["virtual_balance_usd"] == "1.19"
        assert detail["bounty"]["status"] == "awarded"
        event = json.loads(Event.objects.get(type="support.bounty_awarded").envelope)
        assert event["data"]["bounty"]["status"] == "awarded"
        assert event["data"]["bounty"]["amount_usd"] == "1.00"
        # The customer sees the system message in the thread.
        thread = agent_a.client.get(f"/api/v1/demo/sessions/{bug.support_session_id}").json()["messages"]
        assert thread[-1]["author"] == "system" and thread[-1]["text"].startswith(CREDIT_TEXT)

    def test_confirming_twice_or_by_two_operators_credits_once(
            self, agent_a, bug, staff, django_user_model, django_capture_on_commit_callbacks):
        from accounts.services import staff_token_create
        from tests.conftest import StaffPersona, bearer_client

        sam = django_user_model.objects.create_user(username="sam", password="pw-sam-12345", is_staff=True)
        sam_persona = StaffPersona(user=sam, token="", client=bearer_client(staff_token_create(user=sam)[1]))
        balance = agent_a.balance_micros
        with django_capture_on_commit_callbacks(execute=True):
            first = staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "confirm"}, format="json")
        with django_capture_on_commit_callbacks(execute=True):
            second = sam_persona.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "confirm"}, format="json")
        assert (first.json()["changed"], second.json()["changed"]) == (True, False)
        assert second.status_code == 200
        assert second.json()["ticket"]["bounty"]["decided_by"] == "olivia"
        assert bounty_award_task.run(bug.pk) == "already_awarded"
        _assert_awarded_once(bug, agent_a.agent.id, balance)

    def test_reject_then_confirm_then_reject_after_award_is_409(
            self, agent_a, bug, staff, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "reject", "note": "dup"},
                                         format="json")
        assert response.json()["ticket"]["bounty"]["status"] == "rejected"
        assert [cb.__qualname__ for cb in callbacks if "bounty" in cb.__qualname__] == []  # no award queued
        assert bounty_award_task.run(bug.pk) == "not_confirmed"  # a stray task does nothing
        assert _bounties() == []
        again = staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "reject"}, format="json")
        assert again.json()["changed"] is False
        with django_capture_on_commit_callbacks(execute=True):
            staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "confirm"}, format="json")
        bug.refresh_from_db()
        assert bug.bounty_status == "awarded"
        response = staff.client.post(f"{ADMIN}/{bug.public_id}/bounty", {"decision": "reject"}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "BOUNTY_ALREADY_AWARDED")
        bug.refresh_from_db()
        assert bug.bounty_status == "awarded"
        assert len(_bounties()) == 1

    def test_a_confirmed_bounty_rejected_before_the_task_runs_is_never_paid(self, bug, staff):
        bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="confirm")  # task not run (no commit here)
        bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="reject")
        assert bounty_award_task.run(bug.pk) == "not_confirmed"
        assert _bounties() == []

    def test_the_stale_sweeper_requeues_confirmed_tickets(self, bug, staff, django_capture_on_commit_callbacks):
        from datetime import timedelta

        bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="confirm")
        assert bounty.bounty_requeue_stale(older_than=timedelta(minutes=5)) == 0  # too fresh
        Ticket.objects.filter(pk=bug.pk).update(bounty_decided_at=bug.bounty_decided_at - timedelta(minutes=10))
        assert bounty.bounty_requeue_stale(older_than=timedelta(minutes=5)) == 1
        bug.refresh_from_db()
        assert bug.bounty_status == "awarded"
        assert bounty.bounty_requeue_stale() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_confirms_and_three_task_runs_credit_exactly_once(staff, settings):
    if not settings.IS_POSTGRES:
        pytest.skip("row locks need PostgreSQL")
    payer = make_agent("Reporter")
    ticket = open_ticket(payer)
    balance = payer.balance_micros
    barrier = threading.Barrier(10)
    outcomes: list[object] = []

    def confirm() -> None:
        try:
            barrier.wait()
            outcomes.append(bounty.bounty_decide(ticket=Ticket.objects.get(pk=ticket.pk), staff_user=staff.user,
                                                 decision="confirm"))
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    # Each commit runs the award inline (eager_tasks), in its own thread, concurrently.
    threads = [threading.Thread(target=confirm) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(isinstance(o, bounty.BountyDecision) for o in outcomes), outcomes
    assert len(outcomes) == 10
    assert sum(o.changed for o in outcomes) == 1  # type: ignore[union-attr]
    for _ in range(3):
        assert bounty_award_task.run(ticket.pk) == "already_awarded"
    _assert_awarded_once(ticket, payer.agent.id, balance)
    assert payer.balance_micros == balance + BOUNTY


TEST_BROKER = "redis://127.0.0.1:6379/13"


def _switch_broker(app: Celery, *, url: str, eager: bool) -> None:
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None  # cached pools point at the old URL
    app.amqp._producer_pool = None


@pytest.fixture
def real_broker(settings) -> Iterator[Celery]:  # type: ignore[no-untyped-def]
    if not settings.IS_POSTGRES:
        pytest.skip("the worker thread needs a database other connections can share (PostgreSQL)")
    saved_url, saved_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    _switch_broker(celery_app, url=TEST_BROKER, eager=False)
    celery_app.control.purge()  # leftovers from an interrupted run
    yield celery_app
    _switch_broker(celery_app, url=saved_url, eager=saved_eager)


@pytest.mark.postgres
@pytest.mark.timeout(60)
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_on_redis_credits_the_bounty(real_broker, staff):
    payer = make_agent("Reporter")
    ticket = open_ticket(payer)
    balance = payer.balance_micros
    with start_worker(real_broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for _ in range(2):  # a double click: two tasks queued, one credit
            response = staff.client.post(f"{ADMIN}/{ticket.public_id}/bounty", {"decision": "confirm"}, format="json")
            assert response.status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if Ticket.objects.filter(pk=ticket.pk, bounty_status="awarded").exists():
                break
            time.sleep(0.1)
        time.sleep(0.5)  # let the second delivery finish too
    _assert_awarded_once(ticket, payer.agent.id, balance)
    assert payer.balance_micros == balance + BOUNTY
