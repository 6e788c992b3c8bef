"""Celery tasks for the conversation store. Arguments are ids only; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .attachments.services import attachments_purge_unattached


@shared_task(name="demo_sessions.attachments_purge_unattached")
def attachments_purge_unattached_task() -> int:
    """Periodic: uploads never attached to a message within a day go, with their stored objects."""
    return attachments_purge_unattached()
