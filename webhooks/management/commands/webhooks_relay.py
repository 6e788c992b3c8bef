"""`manage.py webhooks_relay`: the outbox relay as its own process (Procfile `relay`, worker side)."""

from __future__ import annotations

import signal
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from webhooks.relay import Relay


class Command(BaseCommand):
    help = ("LISTEN on webhooks.outbox and fan new events out in batches (no broker round trip in requests). "
            "Stops cleanly on SIGTERM or SIGINT.")

    def handle(self, *args: object, **options: object) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The relay needs PostgreSQL (LISTEN/NOTIFY); with SQLite tasks run eagerly instead.")
        if not settings.WEBHOOK_RELAY:
            self.stderr.write("WEBHOOK_RELAY is off: writers queue their own dispatch task, so the relay only "
                              "catches up on pending events.")
        relay = Relay()

        def stop(signum: int, frame: FrameType | None) -> None:
            relay.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        relay.run()
        self.stdout.write(f"webhooks relay stopped: {relay.stats}")
