from __future__ import annotations

from django.core.management.base import BaseCommand

from billing.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_TTL_SECONDS (24 h)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"purged {purge_expired()} idempotency record(s)")
