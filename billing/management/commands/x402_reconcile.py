from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.models import PaymentStatus
from billing.x402.reconcile import payments_reconcile


class Command(BaseCommand):
    help = (
        "Resolve x402 payments whose settle outcome is unknown (and settled ones whose booking died): "
        "settled on chain → credited to the agent's balance; never settled and expired → failed. "
        "Exits non-zero while anything stays unresolved."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--settled-grace-minutes", type=int, default=10,
            help="book `settled` rows untouched for this long (their request's booking died)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        results = payments_reconcile(settled_grace=timedelta(minutes=options["settled_grace_minutes"]))
        unresolved = [r for r in results if r.status == PaymentStatus.UNKNOWN]
        for result in results:
            stream = self.stderr if result.status == PaymentStatus.UNKNOWN else self.stdout
            stream.write(f"{result.payment_id} {result.status or '-'}: {result.detail}")
        if unresolved:
            raise CommandError(f"{len(unresolved)} x402 payment(s) still unknown")
        self.stdout.write(f"x402 reconcile: {len(results)} payment(s) resolved, none unknown")
