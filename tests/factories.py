"""Factories: test data built through the services, as the product builds it.

A ticket here is opened by `tickets.services.ticket_open` (the same service the paid REST route,
the chat tool and MCP call), not by posting to the paid HTTP route: tests about the route post to
it themselves; everything else gets its ticket without depending on that route's plumbing.
"""

from __future__ import annotations

from typing import Any

from demo_sessions.models import DemoSession, SessionKind
from tickets.models import Ticket
from tickets.services import ticket_open

RESOURCE_URL = "http://testserver/api/v1/support/tickets"


def ticket_factory(
    *,
    agent: Any,
    category: str = "bug",
    subject: str = "Export times out",
    body: str = "After 30 s the CSV export fails.",
    source_session: DemoSession | None = None,
) -> Ticket:
    """Open a ticket for `agent` (an Agent or a persona with `.agent`), paid from its balance."""
    agent = getattr(agent, "agent", agent)
    stored = ticket_open(agent=agent, category=category, subject=subject, body=body,
                         source_session=source_session, resource_url=RESOURCE_URL)
    assert stored.status == 201, stored.body
    return Ticket.objects.select_related("support_session").get(public_id=stored.body["ticket_id"])


def open_ticket(persona: Any, *, category: str = "bug", subject: str = "Export times out",
                body: str = "After 30 s the CSV export fails.", source_session_id: str | None = None) -> Ticket:
    """`ticket_factory` with the customer API's argument names (a source chat by its id)."""
    source = None
    if source_session_id is not None:
        source = DemoSession.objects.get(id=source_session_id, agent=persona.agent, session_kind=SessionKind.ENRICH)
    return ticket_factory(agent=persona, category=category, subject=subject, body=body, source_session=source)
