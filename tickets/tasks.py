"""Celery tasks for tickets: thin adapters over bounty.py. Arguments are ids only."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import bounty


# acks_late + idempotent body: a redelivered or retried award finds the ticket `awarded` and stops.
# Only database connectivity errors are worth a retry; anything else is a bug to look at.
@shared_task(
    name="tickets.bounty_award", acks_late=True, reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, retry_backoff_max=300, max_retries=8,
)
def bounty_award_task(ticket_pk: int) -> str:
    return bounty.bounty_award(ticket_pk=ticket_pk)


@shared_task(name="tickets.bounty_requeue_stale")
def bounty_requeue_stale_task() -> int:
    """Periodic safety net for award messages lost between commit and publish."""
    return bounty.bounty_requeue_stale()
