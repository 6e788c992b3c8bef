"""Customer context for the inbox's ticket page: who is this agent, beside the thread.

Three bounded queries whatever the agent's history: their other recent tickets, their recent
ledger entries, and their bounty history grouped by state. Balance and "first seen" come with
the ticket's own query (`select_related("agent")`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count

from billing.models import LedgerEntry

from .models import BountyStatus, Ticket

OTHER_TICKETS = 5
LEDGER_ENTRIES = 5


@dataclass(frozen=True)
class BountyHistory:
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def awarded_micros(self) -> int:
        return self.by_status.get(BountyStatus.AWARDED, 0) * settings.BUG_BOUNTY_MICROS

    def rows(self) -> list[tuple[str, str, int]]:
        """(status, label, count) in the lifecycle's order, only the states that occur."""
        return [(s.value, str(s.label), self.by_status[s.value]) for s in BountyStatus if s.value in self.by_status]


@dataclass(frozen=True)
class CustomerContext:
    first_seen: datetime
    balance_micros: int
    other_tickets: list[Ticket]
    other_tickets_more: bool  # more than OTHER_TICKETS exist
    ledger: list[LedgerEntry]
    bounties: BountyHistory


def customer_context_for_staff(*, ticket: Ticket) -> CustomerContext:
    """Context of `ticket`'s agent (the ticket must come with its agent loaded). Three queries."""
    agent = ticket.agent
    others = list(
        Ticket.objects.filter(agent_id=agent.id).exclude(pk=ticket.pk)
        .only("number", "subject", "status", "category", "bounty_status", "last_activity_at", "awaiting_operator")
        .order_by("-created_at", "-number")[: OTHER_TICKETS + 1]
    )
    ledger = list(LedgerEntry.objects.filter(agent_id=agent.id).order_by("-created_at", "-id")[:LEDGER_ENTRIES])
    grouped = (Ticket.objects.filter(agent_id=agent.id, bounty_status__isnull=False)
               .order_by().values_list("bounty_status").annotate(n=Count("number")))
    return CustomerContext(
        first_seen=agent.created_at,
        balance_micros=agent.balance_micros,
        other_tickets=others[:OTHER_TICKETS],
        other_tickets_more=len(others) > OTHER_TICKETS,
        ledger=ledger,
        bounties=BountyHistory(by_status={status: int(n) for status, n in grouped}),
    )
