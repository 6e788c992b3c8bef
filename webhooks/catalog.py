"""The event catalog (SPEC §7) and the one envelope shape every callback and feed entry uses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rest_framework import serializers

from .models import EventType


def rfc3339(value: datetime) -> str:
    """The one timestamp format (RFC 3339, UTC, `Z`), exactly as every response serializer writes it."""
    return str(serializers.DateTimeField().to_representation(value))


def envelope_json(*, event_id: str, event_type: str, created_at: datetime, agent_id: str | None,
                  data: dict[str, Any]) -> str:
    """The exact body bytes (as text) sent for an event: compact JSON, key order as documented."""
    envelope = {"id": event_id, "type": event_type, "created_at": rfc3339(created_at), "agent_id": agent_id,
                "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)


_EXAMPLE_TICKET: dict[str, Any] = {
    "ticket_id": "tkt_3m9QzTq0bq8Jc1YpXn5H2a", "number": 42,
    "support_session_id": "6f1c0f7f2f0a4c1b9a3f6d3c2b1a0e9d",
    "open_url": "/demo?session=6f1c0f7f2f0a4c1b9a3f6d3c2b1a0e9d",
    "support_status": "open", "category": "bug", "subject": "Enrich returns 500 for a valid domain",
    "body": "POST /api/v1/enrich with domain=example.com fails with 500 since 09:00 UTC.",
    "priority": "normal", "created_at": "2026-11-28T09:15:02.114Z", "updated_at": "2026-11-28T09:15:02.114Z",
    "last_activity_at": "2026-11-28T09:15:02.114Z", "charged_usd": "0.01", "payment_method": "virtual_balance",
    "bounty": {"eligible": True, "status": "pending_review", "amount_usd": "1.00"},
    "allowed_transitions": ["closed"], "source_session_id": None, "rating": None,
}

CATALOG: list[dict[str, Any]] = [
    {
        "type": EventType.TICKET_CREATED.value,
        "description": "A ticket was opened (REST API, MCP or the Enrich Agent chat).",
        "example_data": {"ticket": _EXAMPLE_TICKET},
    },
    {
        "type": EventType.MESSAGE_CREATED.value,
        "description": "A public message was added to a ticket's support thread (by you or an operator). "
                       "Internal operator notes are never emitted. `message.attachments` lists the message's "
                       "files (metadata only; download them from GET /api/v1/attachments/{id}).",
        "example_data": {"ticket": _EXAMPLE_TICKET, "message": {
            "id": "msg_7QpLk2v9d0sX1aYb3cZe4f", "author": "operator", "author_name": "Olivia",
            "text": "Thanks, we can reproduce it and are on it.",
            "text_html": "<p>Thanks, we can reproduce it and are on it.</p>", "created_at": "2026-11-28T09:20:40.000Z",
            "metadata": {},
            "attachments": [{"id": "att_3nR8sK1pQ0wE5tY7uI9oP2", "filename": "fix-verification.csv",
                             "content_type": "text/csv", "size": 2048,
                             "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                             "created_at": "2026-11-28T09:20:31.000Z"}]}},
    },
    {
        "type": EventType.TICKET_UPDATED.value,
        "description": "A ticket's status or other visible fields changed; `changes` maps field → [old, new].",
        "example_data": {"ticket": {**_EXAMPLE_TICKET, "support_status": "waiting_on_customer"},
                         "changes": {"support_status": ["open", "waiting_on_customer"]}},
    },
    {
        "type": EventType.BOUNTY_AWARDED.value,
        "description": "A bug ticket was confirmed and the bug bounty credited to your virtual balance.",
        "example_data": {"ticket": {**_EXAMPLE_TICKET, "bounty": {"eligible": True, "status": "awarded",
                                                                  "amount_usd": "1.00"}},
                         "bounty": {"amount_usd": "1.00", "ledger_entry_id": "led_9fXk2LmQ0pRs7TuVw1yZ3a"}},
    },
    {
        "type": EventType.TICKET_RATED.value,
        "description": "You rated the help on a resolved or closed ticket (1–5, once).",
        "example_data": {"ticket": {**_EXAMPLE_TICKET, "support_status": "resolved", "allowed_transitions":
                                    ["open", "closed"], "updated_at": "2026-11-28T11:02:10.000Z",
                                    "rating": {"score": 5, "comment": "Fixed within the hour, thanks!",
                                               "created_at": "2026-11-28T11:02:10.000Z"}},
                         "rating": {"score": 5, "comment": "Fixed within the hour, thanks!",
                                    "created_at": "2026-11-28T11:02:10.000Z"}},
    },
    {
        "type": EventType.SUBSCRIPTION_DISABLED.value,
        "description": "One of your subscriptions was disabled automatically: its receiver answered 410 Gone, "
                       "or its deliveries kept failing. Re-enable it with PATCH {\"active\": true}.",
        "example_data": {"subscription": {"id": "sub_2bV8nQ1mZx0cL4kJ7hG5fD", "label": "ops alerts",
                                          "callback_url": "https://hooks.example.com/411data",
                                          "disabled_reason": "failing",
                                          "disabled_at": "2026-11-28T09:15:02.114Z"}},
    },
    {
        "type": EventType.TEST.value,
        "description": "Sent only by POST …/subscriptions/{id}/test; never fanned out, never in the feed.",
        "example_data": {"message": "This is a test event from the support desk.", "subscription_id":
                         "sub_2bV8nQ1mZx0cL4kJ7hG5fD"},
    },
]


def catalog_json() -> list[dict[str, Any]]:
    """Each type with its description and a full example envelope."""
    out = []
    for entry in CATALOG:
        example = json.loads(envelope_json(
            event_id="evt_5kJ2mN8pQ1rS4tU7vW0xY3", event_type=entry["type"],
            created_at=datetime.fromisoformat("2026-11-28T09:15:02.114+00:00"),
            agent_id="agt_1aB2cD3eF4gH5iJ6kL7mN8", data=entry["example_data"],
        ))
        out.append({"type": entry["type"], "description": entry["description"],
                    "subscribable": entry["type"] != EventType.TEST, "example": example})
    return out
