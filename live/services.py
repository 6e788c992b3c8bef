"""Writes for the live streams beyond announcing (that is notify.py): retention."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import LiveEvent

PURGE_BATCH = 10_000


def live_events_purge(*, older_than: timedelta | None = None) -> int:
    """Delete events older than LIVE_RETENTION_HOURS (a stream can't resume from further back; it
    is told to reload instead). In batches, so one run never holds many row locks."""
    if older_than is None:
        older_than = timedelta(hours=settings.LIVE_RETENTION_HOURS)
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        batch = list(LiveEvent.objects.filter(created_at__lt=cutoff).order_by("created_at")
                     .values_list("seq", flat=True)[:PURGE_BATCH])
        if not batch:
            return deleted
        deleted += LiveEvent.objects.filter(seq__in=batch).delete()[0]
