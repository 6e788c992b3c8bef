"""Delivery rules: fan-out, one attempt, the retry schedule, disabling, the sweeper, redelivery.

Every function here is safe to run twice:
* fan-out locks the event row and marks it fanned out; (event, subscription) is unique;
* an attempt first *claims* its delivery with one conditional UPDATE (due, not succeeded, not
  dead) that pushes `next_attempt_at` forward by a lease, so a second `deliver` for the same id
  finds nothing to do; a worker that dies mid-send leaves the lease to expire and the sweeper
  retries (at-least-once; receivers dedupe on `webhook-id`, which is the delivery id).
The retry schedule lives in the database (`next_attempt_at`), not in Celery countdowns (notes C.3).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from support_project.domain import Conflict
from support_project.taskqueue import enqueue_after_commit, enqueue_now

from . import delivery as transport
from .models import (
    DUE_STATUSES,
    AuthMode,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    DisabledReason,
    Event,
    EventType,
    Subscription,
)
from .services import event_record, subscription_disable
from .signing import signature_headers

# Delay before retry n (after the n-th failed attempt): ≈ 22.7 h in all, 9 attempts.
RETRY_SCHEDULE_SECONDS = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = 1 + len(RETRY_SCHEDULE_SECONDS)
# Longer than one attempt can take (timeout + slack), so a live attempt is never claimed twice.
CLAIM_LEASE = timedelta(seconds=120)
# The sweeper re-queues a due delivery at most this often (a queued task may still be waiting).
REQUEUE_AFTER = timedelta(seconds=60)
DISABLE_AFTER_FAILING_FOR = timedelta(days=3)
SWEEP_BATCH = 200
# Events per fan-out transaction (the relay's batches and its catch-up).
FAN_OUT_BATCH = 200


def retry_delay_seconds(failed_attempts: int) -> float:
    """Exponential schedule with "equal jitter": half the step fixed, half random.

    Full jitter (uniform 0..step) could fire the first retry after a fraction of a second and
    make the whole window unpredictable; equal jitter still spreads a thundering herd while
    keeping the total retry window at ≈ 11–23 h ("about a day").
    """
    step = RETRY_SCHEDULE_SECONDS[failed_attempts - 1]
    return step / 2 + random.uniform(0, step / 2)


def _disable_after_dead() -> int:
    return int(getattr(settings, "WEBHOOK_DISABLE_AFTER_DEAD_DELIVERIES", 5))


# --- fan-out ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FanOut:
    """What one fan-out transaction did: the events it marked fanned out, the deliveries it made due."""

    events: int
    delivery_ids: list[str]


def _subscribes(event_type: str, event_agent_id: str | None, subscription_agent_id: str | None) -> bool:
    """Whose subscriptions see an event: support events go to their agent's and to staff-scope
    subscriptions; other events (a subscription was disabled) only to their owner's."""
    if event_type.startswith("support."):
        return subscription_agent_id is None or subscription_agent_id == event_agent_id
    return subscription_agent_id == event_agent_id


def _fan_out_locked(events: Sequence[tuple[int, str, str | None]], now: datetime, *, queue: bool) -> list[str]:
    """Deliveries for locked, not yet fanned-out events `(seq, type, agent_id)`; marks them fanned out.

    One query reads the active subscriptions of every agent in the batch plus the staff-scope ones,
    whatever the batch size; an event nobody subscribed to is only marked (it never reaches the broker).
    """
    agent_ids = {agent_id for _, _, agent_id in events if agent_id is not None}
    subscriptions = list(Subscription.objects.filter(Q(agent_id__in=agent_ids) | Q(agent__isnull=True), active=True)
                         .values_list("id", "agent_id", "event_types"))
    # Types filtered in Python: JSON containment differs between PostgreSQL and SQLite, and an
    # owner has at most 20 active subscriptions (plus the few staff-scope ones).
    pairs = [(seq, sub_id) for seq, event_type, event_agent_id in events
             for sub_id, sub_agent_id, types in subscriptions
             if event_type in (types or []) and _subscribes(event_type, event_agent_id, sub_agent_id)]
    if pairs:
        Delivery.objects.bulk_create(
            [Delivery(event_id=seq, subscription_id=sub_id, next_attempt_at=now, queued_at=now, created_at=now)
             for seq, sub_id in pairs],
            ignore_conflicts=True,
        )
    Event.objects.filter(pk__in=[seq for seq, _, _ in events]).update(fanned_out_at=now)
    if not pairs:
        return []
    delivery_ids = list(Delivery.objects.filter(event_id__in={seq for seq, _ in pairs}, status__in=DUE_STATUSES)
                        .order_by("event_id", "id").values_list("id", flat=True))
    if queue:
        for delivery_id in delivery_ids:
            enqueue_after_commit("webhooks.deliver", delivery_id)
    return delivery_ids


def events_fan_out(*, event_ids: Sequence[str] | None = None, limit: int | None = None, queue: bool = True,
                   skip_locked: bool = True) -> FanOut:
    """Fan out pending events in one transaction: those of `event_ids`, or the oldest `limit`.

    Rows another fan-out holds are skipped (it is doing them); every event is fanned out once,
    and with `queue` a `deliver` task is queued after commit for each delivery it made due.
    """
    query = Event.objects.filter(fanned_out_at__isnull=True)
    if event_ids is not None:
        query = query.filter(public_id__in=list(event_ids))
    query = query.select_for_update(skip_locked=skip_locked).order_by("seq")
    with transaction.atomic():
        events = list((query[:limit] if limit is not None else query).values_list("seq", "type", "agent_id"))
        if not events:
            return FanOut(events=0, delivery_ids=[])
        return FanOut(events=len(events), delivery_ids=_fan_out_locked(events, timezone.now(), queue=queue))


def events_fan_out_pending(*, batch: int = FAN_OUT_BATCH) -> FanOut:
    """Fan out every pending event, oldest first, `batch` per transaction (the relay's catch-up).
    Stops at the first short batch: events committed later are announced as they commit."""
    events, delivery_ids = 0, []
    while True:
        done = events_fan_out(limit=batch)
        events += done.events
        delivery_ids += done.delivery_ids
        if done.events < batch:
            return FanOut(events=events, delivery_ids=delivery_ids)


def event_fan_out(*, event_id: str, queue: bool = True) -> list[str]:
    """Create one event's deliveries (once) and, with `queue`, queue them; the delivery ids."""
    return events_fan_out(event_ids=[event_id], queue=queue, skip_locked=False).delivery_ids


def event_dispatch(*, event_id: str) -> list[str]:
    """Fan out, then make the first attempt of a single delivery right here (the common case: one
    subscriber) — one task per event instead of two, which is most of a busy worker's overhead.
    Several deliveries are queued so one slow receiver can't hold up the others. If this task dies
    mid-attempt, the delivery's claim lease runs out and the sweeper re-queues it."""
    delivery_ids = event_fan_out(event_id=event_id, queue=False)
    if len(delivery_ids) == 1:
        delivery_attempt(delivery_id=delivery_ids[0])
    else:
        for delivery_id in delivery_ids:
            enqueue_now("webhooks.deliver", delivery_id)
    return delivery_ids


# --- one attempt --------------------------------------------------------------------------------

def _claim(delivery_id: str, now: datetime) -> bool:
    # Claiming consumes the queued task: `queued_at` goes back to NULL, so once this attempt's
    # retry (or its lease) is due the sweeper re-queues it at once, not 60 s after fan-out.
    return bool(Delivery.objects.filter(id=delivery_id, status__in=DUE_STATUSES, next_attempt_at__lte=now).update(
        next_attempt_at=now + CLAIM_LEASE, attempt_count=F("attempt_count") + 1, last_attempt_at=now,
        queued_at=None,
    ))


def delivery_attempt(*, delivery_id: str) -> DeliveryAttempt | None:
    """Make the next attempt of a due delivery; None if it is not due (sent, dead, or claimed)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("event", "subscription").filter(id=delivery_id).first()
    if delivery is None:  # the subscription was deleted meanwhile
        return None
    subscription, event = delivery.subscription, delivery.event
    if not subscription.active and event.type != EventType.TEST:
        Delivery.objects.filter(id=delivery_id).update(
            status=DeliveryStatus.DEAD, next_attempt_at=None, last_error="the subscription is disabled")
        return None
    body = event.envelope.encode("utf-8")
    headers = signature_headers(secrets_=subscription.secrets_for_signing(now=now), webhook_id=delivery.id,
                                timestamp=int(time.time()), body=body)
    headers["X-411data-Event"] = event.type
    headers["X-411data-Delivery"] = delivery.id
    if subscription.auth_mode == AuthMode.HMAC_BEARER:
        headers["Authorization"] = f"Bearer {subscription.bearer_token}"
    result = transport.send(url=subscription.callback_url, body=body, headers=headers)
    return _record(delivery, result, attempted_at=now)


def _record(delivery: Delivery, result: transport.SendResult, *, attempted_at: datetime) -> DeliveryAttempt:
    is_test = delivery.event.type == EventType.TEST
    number = delivery.attempt_count  # already incremented by the claim
    now = timezone.now()
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery, attempt_number=number, attempted_at=attempted_at, response_status=result.status,
            duration_ms=result.duration_ms, succeeded=result.outcome == transport.Outcome.SUCCESS,
            error=result.error[:500], response_body=result.body,
        )
        changes: dict = {"last_response_status": result.status, "last_error": result.error[:500]}
        if result.outcome == transport.Outcome.SUCCESS:
            changes.update(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None)
        elif result.outcome == transport.Outcome.RETRY and not is_test and number < MAX_ATTEMPTS:
            delay = max(retry_delay_seconds(number), float(result.retry_after_seconds or 0))
            changes.update(status=DeliveryStatus.FAILED, next_attempt_at=now + timedelta(seconds=delay))
        else:  # GONE, PERMANENT, a failed test, or the schedule ran out
            changes.update(status=DeliveryStatus.DEAD, next_attempt_at=None)
        Delivery.objects.filter(id=delivery.id).update(**changes)
        for field, value in changes.items():
            setattr(delivery, field, value)
        if result.outcome == transport.Outcome.GONE:
            subscription_disable(subscription_id=delivery.subscription_id, reason=DisabledReason.GONE)
        elif not is_test:
            _track_health(delivery.subscription_id, succeeded=result.outcome == transport.Outcome.SUCCESS,
                          dead=changes["status"] == DeliveryStatus.DEAD, now=now)
    return attempt


def _track_health(subscription_id: str, *, succeeded: bool, dead: bool, now: datetime) -> None:
    if succeeded:
        Subscription.objects.filter(id=subscription_id).exclude(
            failing_since__isnull=True, consecutive_failures=0, consecutive_dead=0,
        ).update(failing_since=None, consecutive_failures=0, consecutive_dead=0)
        return
    Subscription.objects.filter(id=subscription_id, failing_since__isnull=True).update(failing_since=now)
    Subscription.objects.filter(id=subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1,
        consecutive_dead=F("consecutive_dead") + (1 if dead else 0),
    )
    unhealthy = Subscription.objects.filter(id=subscription_id, active=True).filter(
        Q(failing_since__lte=now - DISABLE_AFTER_FAILING_FOR) | Q(consecutive_dead__gte=_disable_after_dead())
    ).exists()
    if unhealthy:
        subscription_disable(subscription_id=subscription_id, reason=DisabledReason.FAILING)


# --- sweeper, redelivery, test events -------------------------------------------------------------

def sweep() -> dict[str, int]:
    """Fan out events whose dispatch was lost and queue every due delivery. SKIP LOCKED lets
    several sweepers (or a sweeper and a live dispatch) run side by side."""
    fanned_out = events_fan_out(limit=SWEEP_BATCH)
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER))
            .order_by("next_attempt_at").values_list("id", flat=True)[:SWEEP_BATCH]
        )
        Delivery.objects.filter(id__in=due).update(queued_at=now)
        for delivery_id in due:
            enqueue_after_commit("webhooks.deliver", delivery_id)
    return {"events_fanned_out": fanned_out.events, "deliveries_queued": len(due)}


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send again now (same webhook-id, fresh timestamp and signature). A redelivery that fails
    after the schedule is spent is one more attempt, then dead again."""
    if not delivery.subscription.active:
        raise Conflict("SUBSCRIPTION_INACTIVE", "The subscription is disabled; re-enable it before redelivering.")
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(id=delivery.id).exclude(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, queued_at=now)
        enqueue_after_commit("webhooks.deliver", delivery.id)
    delivery.refresh_from_db()
    return delivery


def subscription_test_send(*, subscription: Subscription) -> DeliveryAttempt:
    """Send a `webhook.test` event to this subscription only, now, through the normal path."""
    now = timezone.now()
    with transaction.atomic():
        event = event_record(agent_id=subscription.agent_id, event_type=EventType.TEST, dispatch=False, data={
            "message": "This is a test event from the support desk.", "subscription_id": subscription.id})
        delivery = Delivery.objects.create(event=event, subscription=subscription, next_attempt_at=now,
                                           queued_at=now, created_at=now)
    attempt = delivery_attempt(delivery_id=delivery.id)
    assert attempt is not None  # a fresh, due, unclaimed delivery is always attempted
    return attempt
