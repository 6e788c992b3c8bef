from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from accounts.models import Agent

from .models import LedgerEntry


def ledger_for_agent(*, agent: Agent) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(agent=agent)


@dataclass(frozen=True)
class AuditFinding:
    agent_id: str
    balance_micros: int
    ledger_sum_micros: int

    @property
    def message(self) -> str:
        return (f"{self.agent_id}: balance {self.balance_micros} µ$ but ledger sums to "
                f"{self.ledger_sum_micros} µ$")


def ledger_audit() -> list[AuditFinding]:
    """Every agent whose balance differs from the sum of its entries or is negative (one query)."""
    rows = Agent.objects.annotate(ledger_sum=Sum("ledger_entries__amount_micros")).values_list(
        "id", "balance_micros", "ledger_sum"
    )
    findings = []
    for agent_id, balance, total in rows:
        total = total or 0
        if balance != total or balance < 0:
            findings.append(AuditFinding(agent_id, balance, total))
    return findings
