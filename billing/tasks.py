from __future__ import annotations

from celery import shared_task

from .idempotency import purge_expired


@shared_task(name="billing.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return purge_expired()
