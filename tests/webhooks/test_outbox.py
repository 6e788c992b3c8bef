"""event_emit is the outbox: one INSERT inside the caller's transaction, dispatch only after commit."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from webhooks import dispatch
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.services import event_emit, event_record

from .conftest import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(30)]


def test_it_writes_exactly_one_row_with_one_insert(agent_a, local_targets):
    with CaptureQueriesContext(connection) as queries:
        event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={"ticket": {"n": 1}})
    assert len(queries) == 1
    assert queries[0]["sql"].startswith("INSERT INTO \"webhooks_event\"")
    assert Event.objects.count() == 1
    assert event.public_id.startswith("evt_") and len(event.public_id) == 26
    envelope = json.loads(event.envelope)
    assert list(envelope) == ["id", "type", "created_at", "agent_id", "data"]
    assert envelope["id"] == event.public_id
    assert envelope["type"] == "support.ticket_created"
    assert envelope["agent_id"] == agent_a.agent.id
    assert envelope["data"] == {"ticket": {"n": 1}}
    assert envelope["created_at"].endswith("Z")


def test_nothing_is_sent_inside_the_transaction_and_once_after_commit(
        agent_a, local_targets, receiver, django_capture_on_commit_callbacks):
    subscribe(agent_a, receiver.url())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={"x": 1})
            assert receiver.requests == []
            assert Delivery.objects.count() == 0
    assert len(callbacks) == 1  # dispatch_event after our commit; it delivers a lone subscription itself
    received = receiver.wait_for(1)
    assert len(received) == 1
    assert json.loads(received[0].body)["id"] == event.public_id
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempt_count == 1


def test_a_rolled_back_transaction_sends_nothing(agent_a, local_targets, receiver,
                                                  django_capture_on_commit_callbacks):
    subscribe(agent_a, receiver.url())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
            raise RuntimeError("the ticket write failed")
    assert callbacks == []
    assert Event.objects.count() == 0
    assert receiver.requests == []


def test_it_refuses_unknown_and_test_event_types(agent_a):
    for bad in ("support.internal_note_created", "webhook.test", ""):
        with pytest.raises(ValueError):
            event_emit(agent_id=agent_a.agent.id, event_type=bad, data={})
    assert Event.objects.count() == 0


def test_internal_notes_are_never_emitted_by_contract(agent_a, local_targets, receiver):
    """Ticket services call event_emit only for public messages (tickets/services.py,
    thread_message_add: `if not internal`). The outbox has no type for internal notes, so the
    most this app can guarantee is refusing anything that isn't in the catalog."""
    subscribe(agent_a, receiver.url())
    with pytest.raises(ValueError):
        event_emit(agent_id=agent_a.agent.id, event_type="support.internal_note", data={"text": "secret"})
    assert Event.objects.count() == 0
    assert receiver.requests == []


def test_fan_out_reaches_the_owner_and_staff_scope_only_and_is_idempotent(
        agent_a, agent_b, staff, local_targets, receiver, django_capture_on_commit_callbacks):
    own, _ = subscribe(agent_a, receiver.url("/a"))
    only_updates, _ = subscribe(agent_a, receiver.url("/a2"), event_types=["support.ticket_updated"])
    staff_sub, _ = subscribe(None, receiver.url("/staff"), staff_user=staff.user)
    subscribe(agent_b, receiver.url("/b"))
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})

    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch.event_fan_out(event_id=event.public_id)
    again = dispatch.event_fan_out(event_id=event.public_id)

    assert again == []
    assert sorted(Delivery.objects.values_list("subscription_id", flat=True)) == sorted([own.id, staff_sub.id])
    assert sorted(first) == sorted(Delivery.objects.values_list("id", flat=True))
    assert only_updates.id not in Delivery.objects.values_list("subscription_id", flat=True)
    assert sorted(r.path for r in receiver.wait_for(2)) == ["/a", "/staff"]
    assert Event.objects.get().fanned_out_at is not None


def test_inactive_subscriptions_get_nothing(agent_a, local_targets, receiver):
    sub, _ = subscribe(agent_a, receiver.url())
    sub.active, sub.disabled_reason = False, "owner"
    sub.save()
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    assert dispatch.event_fan_out(event_id=event.public_id) == []
    assert Delivery.objects.count() == 0
    assert receiver.requests == []


def test_several_subscriptions_are_queued_one_task_each(agent_a, local_targets):
    from tests.webhook_receiver import WebhookReceiver
    from webhooks.dispatch import event_dispatch

    with WebhookReceiver() as first, WebhookReceiver() as second:
        subscribe(agent_a, first.url())
        subscribe(agent_a, second.url())
        # The test's own transaction never commits, so the after-commit dispatch never fires: run it here.
        event = event_record(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
        ids = event_dispatch(event_id=event.public_id)  # eager: each queued deliver runs at once
        assert len(ids) == 2
        assert (len(first.wait_for(1)), len(second.wait_for(1))) == (1, 1)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
