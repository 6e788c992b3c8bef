"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_project.settings")

app = Celery("support_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work (Celery beat). Each entry names a task owned by an app.
app.conf.beat_schedule = {
    "purge-idempotency-keys": {"task": "billing.purge_idempotency_keys", "schedule": 3600.0},
    # Webhook outbox: fan out events whose dispatch was lost, queue due retries (SKIP LOCKED).
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 10.0},
    # Re-queues confirmed bounties whose task message was lost between commit and the broker.
    "bounty-requeue-stale": {"task": "tickets.bounty_requeue_stale", "schedule": 300.0},
    # Live stream events past LIVE_RETENTION_HOURS (how far back a stream can resume).
    "live-purge-events": {"task": "live.purge_events", "schedule": 3600.0},
    # Uploads no message claimed within a day, and their stored objects.
    "attachments-purge-unattached": {"task": "demo_sessions.attachments_purge_unattached", "schedule": 3600.0},
}
