from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from billing.selectors import ledger_audit


class Command(BaseCommand):
    help = "Check for every agent that balance = sum of its ledger entries and is not negative."

    def handle(self, *args: object, **options: object) -> None:
        findings = ledger_audit()
        for finding in findings:
            self.stderr.write(finding.message)
        if findings:
            raise CommandError(f"ledger audit failed: {len(findings)} agent(s) out of balance")
        self.stdout.write("ledger audit clean")
