"""The one way to queue Celery work from a service: by task name, after the caller's commit.

Tasks are looked up in the Celery app's registry by their registered name (`"webhooks.deliver"`),
so a service never imports its app's `tasks` module (which imports the service back). Queueing
never raises: every caller has a sweeper or a periodic task that re-queues what a broker outage
lost. With CELERY_TASK_ALWAYS_EAGER the task runs in-process, right after the commit.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def task_get(name: str) -> Any:
    """The registered task called `name`; KeyError if no installed app defines it."""
    from .celery import app

    if name not in app.tasks:
        app.loader.import_default_modules()  # imports every installed app's tasks module once
    return app.tasks[name]


def enqueue_now(name: str, *args: Any) -> None:
    """Queue `name(*args)` now. Never raises: a lost message is re-queued by the caller's sweeper."""
    try:
        task_get(name).delay(*args)
    except Exception:  # noqa: BLE001 - broker down (or an eager-mode error): logged, swept later
        logger.warning("could not queue %s(%s); the sweeper will retry", name, ", ".join(map(str, args)), exc_info=True)


def enqueue_after_commit(name: str, *args: Any) -> None:
    """Queue `name(*args)` once the current transaction commits (never if it rolls back)."""
    transaction.on_commit(lambda: enqueue_now(name, *args))
