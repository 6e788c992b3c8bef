"""Issue 16 item 15: the first retry fires when it is due (15–30 s after the failure), not once the
fan-out's `queued_at` is 60 s old. The sweeper (every 10 s) picks up a due retry on its next run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.webhook_receiver import Reply
from tests.webhooks.conftest import subscribe
from webhooks import dispatch
from webhooks.models import Delivery, DeliveryStatus
from webhooks.services import event_emit

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    from tests.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as rx:
        yield rx


def test_it_sweeps_the_first_retry_as_soon_as_it_is_due(agent_a, settings, receiver,
                                                       django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    subscribe(agent_a, receiver.url(), event_types=["support.ticket_created"])
    receiver.script(Reply(500), Reply(200))
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    failed_at = timezone.now()
    (delivery_id,) = dispatch.event_dispatch(event_id=event.public_id)  # fan-out + first attempt: 500

    delivery = Delivery.objects.get(id=delivery_id)
    assert delivery.status == DeliveryStatus.FAILED
    assert timedelta(seconds=15) <= delivery.next_attempt_at - failed_at <= timedelta(seconds=31)
    assert delivery.queued_at is None  # nothing waits in the broker for it any more

    # 15–30 s later (time travel: only the due time moves; fan-out was seconds ago, not 60 s).
    Delivery.objects.filter(id=delivery_id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep() == {"events_fanned_out": 0, "deliveries_queued": 1}

    receiver.wait_for(2)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
    assert dispatch.sweep() == {"events_fanned_out": 0, "deliveries_queued": 0}


def test_a_queued_delivery_is_not_queued_twice_within_a_minute(agent_a, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    subscribe(agent_a, receiver.url(), event_types=["support.ticket_created"])
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id, queue=False)  # queued, not yet run
    assert Delivery.objects.get(id=delivery_id).queued_at is not None
    assert dispatch.sweep() == {"events_fanned_out": 0, "deliveries_queued": 0}
    assert receiver.requests == []
