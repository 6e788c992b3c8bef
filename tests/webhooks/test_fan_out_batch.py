"""dispatch.events_fan_out: many events in one transaction, a fixed number of statements.

The events here stay pending (the test's transaction never commits, so nothing was dispatched).
"""

from __future__ import annotations

import pytest

from tests.conftest import make_agent
from webhooks import dispatch
from webhooks.models import Delivery, Event
from webhooks.services import event_emit

from .conftest import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(30)]

CREATED = "support.ticket_created"


def _events(personas, per_agent: int) -> list[Event]:  # type: ignore[no-untyped-def]
    return [event_emit(agent_id=p.agent.id, event_type=CREATED, data={"i": i}) for i in range(per_agent) for p in personas]


def test_a_batch_of_three_agents_costs_five_statements_whatever_its_size(
        agent_a, agent_b, staff, local_targets, receiver, django_assert_num_queries, django_capture_on_commit_callbacks):
    silent = make_agent("Silent agent")
    own, _ = subscribe(agent_a, receiver.url("/a"))
    staff_sub, _ = subscribe(None, receiver.url("/staff"), staff_user=staff.user)
    events = _events([agent_a, agent_b, silent], per_agent=20)

    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(7):
        # SAVEPOINT (the test's transaction stands in for BEGIN); lock the pending events (FOR UPDATE
        # SKIP LOCKED); the active subscriptions of the three agents + staff-scope ones; one INSERT of
        # the deliveries; one UPDATE marking all 60 fanned out; the deliveries made due; RELEASE.
        result = dispatch.events_fan_out(event_ids=[e.public_id for e in events])

    assert result.events == 60
    made = set(Delivery.objects.values_list("event_id", "subscription_id"))
    assert made == {(e.seq, own.id) for e in events if e.agent_id == agent_a.agent.id} | {(e.seq, staff_sub.id) for e in events}
    assert len(result.delivery_ids) == 80 == len(callbacks)  # one `deliver` per delivery, after commit
    assert sorted(result.delivery_ids) == sorted(Delivery.objects.values_list("id", flat=True))
    assert not Event.objects.filter(fanned_out_at__isnull=True).exists()


def test_events_nobody_subscribed_to_are_only_marked_and_queue_nothing(
        agent_a, agent_b, django_assert_num_queries, django_capture_on_commit_callbacks):
    events = _events([agent_a, agent_b], per_agent=5)
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(5):
        # SAVEPOINT; lock; subscriptions (none); UPDATE fanned_out_at; RELEASE — no INSERT, no task.
        result = dispatch.events_fan_out(event_ids=[e.public_id for e in events])
    assert (result.events, result.delivery_ids, callbacks) == (10, [], [])
    assert Delivery.objects.count() == 0
    assert not Event.objects.filter(fanned_out_at__isnull=True).exists()


def test_ids_already_fanned_out_or_unknown_are_ignored(agent_a, local_targets, receiver,
                                                       django_capture_on_commit_callbacks):
    subscribe(agent_a, receiver.url())
    first, second = _events([agent_a], per_agent=2)
    with django_capture_on_commit_callbacks():
        assert dispatch.events_fan_out(event_ids=[first.public_id]).events == 1
    with django_capture_on_commit_callbacks() as callbacks:
        result = dispatch.events_fan_out(event_ids=[first.public_id, "evt_unknown", second.public_id, second.public_id])
    assert result.events == 1
    assert len(callbacks) == 1
    assert Delivery.objects.filter(event=first).count() == Delivery.objects.filter(event=second).count() == 1


def test_the_catch_up_takes_every_pending_event_in_batches_oldest_first(
        agent_a, local_targets, receiver, django_capture_on_commit_callbacks):
    subscribe(agent_a, receiver.url())
    events = _events([agent_a], per_agent=7)
    with django_capture_on_commit_callbacks() as callbacks:
        result = dispatch.events_fan_out_pending(batch=3)  # 3 + 3 + 1
    assert result.events == 7
    assert len(callbacks) == 7
    by_delivery = dict(Delivery.objects.values_list("id", "event_id"))
    assert [by_delivery[d] for d in result.delivery_ids] == [e.seq for e in events]
    assert dispatch.events_fan_out_pending(batch=3).events == 0
