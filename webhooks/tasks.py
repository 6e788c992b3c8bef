"""Celery adapters over dispatch.py. Arguments are ids; every task is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import dispatch


@shared_task(name="webhooks.dispatch_event", acks_late=True)
def dispatch_event(event_id: str) -> int:
    """Create the event's deliveries (idempotent); deliver a lone one at once, queue several."""
    return len(dispatch.event_dispatch(event_id=event_id))


# A hard limit well above one attempt's own deadline (WEBHOOK_TIMEOUT_SECONDS + reading).
@shared_task(name="webhooks.deliver", acks_late=True, soft_time_limit=60, time_limit=90)
def deliver(delivery_id: str) -> str:
    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)
    return "skipped" if attempt is None else ("succeeded" if attempt.succeeded else "failed")


@shared_task(name="webhooks.sweep", acks_late=True, soft_time_limit=50, time_limit=60)
def sweep() -> dict[str, int]:
    """Beat, every 10 s: fan out lost events and queue due deliveries (SKIP LOCKED)."""
    return dispatch.sweep()
