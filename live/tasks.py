"""Celery adapters for the live streams."""

from __future__ import annotations

from celery import shared_task

from .services import live_events_purge


@shared_task(name="live.purge_events", acks_late=True)
def purge_events() -> int:
    """Beat, hourly: drop live events past their retention (safe to run twice)."""
    return live_events_purge()
