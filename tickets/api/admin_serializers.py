"""Request bodies and response shapes of the staff API (SPEC §6).

Responses are built by plain functions (no per-row queries: everything they touch is
select_related by the selectors in tickets/search.py); the serializer classes document them in
OpenAPI and validate request bodies (unknown fields are 400s).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from billing.money import usd_str
from demo_sessions.api.serializers import MessageOut, attachment_ids_field, unique_ids
from demo_sessions.attachments.selectors import message_attachments_json
from demo_sessions.models import Message
from support_project.api.serializers import StrictCharField, StrictSerializer

from ..bounty import DECISIONS, MAX_NOTE_CHARS
from ..models import Category, Priority, Ticket, TicketStatus
from ..operators import MAX_REPLY_CHARS
from ..search import MAX_QUERY_CHARS, Transcript
from ..selectors import bounty_json
from ..status import Actor, allowed_transitions
from .serializers import BountyOut

# --- request bodies and query parameters ---------------------------------------------------------


class StaffTicketListParams(StrictSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    category = serializers.ChoiceField(choices=Category.values, required=False)
    assignee = StrictCharField(required=False, max_length=150, help_text='"me", "none" or a staff username.')
    q = StrictCharField(required=False, allow_blank=True, max_length=MAX_QUERY_CHARS,
                        help_text="Full-text search over subject, body and messages (internal notes too).")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


class ReplyIn(StrictSerializer):
    text = StrictCharField(max_length=MAX_REPLY_CHARS)
    internal = serializers.BooleanField(required=False, default=False)
    support_status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    attachments = attachment_ids_field()

    def validate_attachments(self, value: list[str]) -> list[str]:
        return unique_ids(value)

    def validate_internal(self, value: Any) -> bool:
        if not isinstance(self.initial_data.get("internal", False), bool):
            raise serializers.ValidationError("Must be true or false.")
        return value


class TicketPatchIn(StrictSerializer):
    support_status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    assignee = StrictCharField(required=False, allow_null=True, max_length=150,
                               help_text="A staff username, or null to unassign.")
    priority = serializers.ChoiceField(choices=Priority.values, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one of support_status, assignee, priority.")
        return attrs


class BountyIn(StrictSerializer):
    decision = serializers.ChoiceField(choices=list(DECISIONS))
    note = StrictCharField(required=False, allow_blank=True, max_length=MAX_NOTE_CHARS)


# --- response shapes ----------------------------------------------------------------------------


def staff_bounty_json(ticket: Ticket) -> dict[str, Any] | None:
    base = bounty_json(ticket)
    if base is None:
        return None
    decided_by = ticket.bounty_decided_by.get_username() if ticket.bounty_decided_by_id else None
    return {**base, "decided_by": decided_by, "decided_at": ticket.bounty_decided_at, "note": ticket.bounty_note}


def staff_ticket_row(ticket: Ticket) -> dict[str, Any]:
    """One inbox row. Needs `agent` and `assignee` select_related (no query of its own)."""
    return {
        "ticket_id": ticket.public_id,
        "number": ticket.number,
        "subject": ticket.subject,
        "category": ticket.category,
        "support_status": ticket.status,
        "priority": ticket.priority,
        "agent": {"id": ticket.agent_id, "name": ticket.agent.name},
        "assignee": ticket.assignee.get_username() if ticket.assignee_id else None,
        "created_at": ticket.created_at,
        "last_activity_at": ticket.last_activity_at,
        "message_count": ticket.message_count,
        "bounty": bounty_json(ticket),
        "awaiting_operator_reply": ticket.awaiting_operator,
    }


def staff_message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "author_name": message.author_name,
        "internal": message.internal,
        "text": message.text,
        "created_at": message.created_at,
        "metadata": message.metadata,
        "attachments": message_attachments_json(message),
    }


def staff_ticket_json(ticket: Ticket) -> dict[str, Any]:
    """The ticket without its transcript: after PATCH/bounty, and inside the detail."""
    return {
        **staff_ticket_row(ticket),
        "agent": {"id": ticket.agent_id, "name": ticket.agent.name,
                  "virtual_balance_usd": usd_str(ticket.agent.balance_micros)},
        "body": ticket.body,
        "updated_at": ticket.updated_at,
        "support_session_id": ticket.support_session_id,
        "source_session_id": ticket.source_session_id,
        "billing": {"charged_usd": usd_str(ticket.charged_micros), "payment_method": ticket.payment_method},
        "bounty": staff_bounty_json(ticket),
        "allowed_transitions": allowed_transitions(ticket.status, Actor.STAFF),
    }


def staff_transcript_json(transcript: Transcript) -> dict[str, Any]:
    source = transcript.source_session
    return {
        **staff_ticket_json(transcript.ticket),
        "messages": [staff_message_json(m) for m in transcript.messages],
        "source_session": None if source is None else {
            "id": source.id, "title": source.title, "session_kind": source.session_kind,
            "messages": [staff_message_json(m) for m in transcript.source_messages],
        },
    }


# --- OpenAPI documentation of the shapes above -------------------------------------------------------


class AgentRefOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class AgentBalanceOut(AgentRefOut):
    virtual_balance_usd = serializers.CharField()


class BountyStaffOut(BountyOut):
    decided_by = serializers.CharField(allow_null=True, required=False)
    decided_at = serializers.DateTimeField(allow_null=True, required=False)
    note = serializers.CharField(required=False)


class StaffTicketRowOut(serializers.Serializer):
    ticket_id = serializers.CharField()
    number = serializers.IntegerField()
    subject = serializers.CharField()
    category = serializers.CharField()
    support_status = serializers.CharField()
    priority = serializers.CharField()
    agent = AgentRefOut()
    assignee = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    message_count = serializers.IntegerField()
    bounty = BountyStaffOut(allow_null=True)
    awaiting_operator_reply = serializers.BooleanField()


class StaffTicketPageOut(serializers.Serializer):
    results = StaffTicketRowOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class BillingOut(serializers.Serializer):
    charged_usd = serializers.CharField()
    payment_method = serializers.CharField()


class StaffMessageOut(MessageOut):
    """A thread message as staff see it: the customer's shape plus the internal flag."""

    internal = serializers.BooleanField()


class SourceSessionOut(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    session_kind = serializers.CharField()
    messages = StaffMessageOut(many=True)


class StaffTicketOut(StaffTicketRowOut):
    agent = AgentBalanceOut()
    body = serializers.CharField()
    updated_at = serializers.DateTimeField()
    support_session_id = serializers.CharField()
    source_session_id = serializers.CharField(allow_null=True)
    billing = BillingOut()
    allowed_transitions = serializers.ListField(child=serializers.CharField())


class StaffTranscriptOut(StaffTicketOut):
    messages = StaffMessageOut(many=True)
    source_session = SourceSessionOut(allow_null=True)


class ReplyOut(serializers.Serializer):
    message = StaffMessageOut()
    ticket = StaffTicketOut()


class BountyDecisionOut(serializers.Serializer):
    ticket = StaffTicketOut()
    changed = serializers.BooleanField()
    queued = serializers.BooleanField()
