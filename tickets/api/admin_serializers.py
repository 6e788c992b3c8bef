"""Request bodies and response shapes of the staff API (SPEC §6).

The response serializers render at run time and document OpenAPI; they make no queries of their
own: everything they touch is select_related by the selectors in tickets/search.py. Request
serializers are strict (unknown fields are 400s).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from billing.serializers import UsdField
from demo_sessions.api.serializers import attachment_ids_field, unique_ids
from demo_sessions.serializers import MessageOut
from support_project.api.serializers import StrictCharField, StrictSerializer

from ..bounty import DECISIONS, MAX_NOTE_CHARS
from ..models import Category, Priority, TicketStatus
from ..operators import MAX_REPLY_CHARS
from ..search import MAX_QUERY_CHARS, Transcript
from ..serializers import BountyOut
from ..status import Actor, allowed_transitions

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


class AgentRefOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class AgentBalanceOut(AgentRefOut):
    virtual_balance_usd = UsdField(source="balance_micros")


class BountyStaffOut(BountyOut):
    # The customer's bounty plus who decided, when, and the operator's note.

    decided_by = serializers.CharField(allow_null=True, required=False)
    decided_at = serializers.DateTimeField(allow_null=True, required=False)
    note = serializers.CharField(required=False)

    def to_representation(self, instance: Any) -> Any:
        base = super().to_representation(instance)
        if base is None:
            return None
        decided_by = instance.bounty_decided_by.get_username() if instance.bounty_decided_by_id else None
        decided_at = serializers.DateTimeField().to_representation(instance.bounty_decided_at)
        return {**base, "decided_by": decided_by, "decided_at": decided_at, "note": instance.bounty_note}


class StaffTicketRowOut(serializers.Serializer):
    # One inbox row. Needs `agent` and `assignee` select_related.

    ticket_id = serializers.CharField(source="public_id")
    number = serializers.IntegerField()
    subject = serializers.CharField()
    category = serializers.CharField()
    support_status = serializers.CharField(source="status")
    priority = serializers.CharField()
    agent = AgentRefOut()
    assignee = serializers.CharField(source="assignee.username", allow_null=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    message_count = serializers.IntegerField()
    bounty = BountyOut(source="*", allow_null=True)
    awaiting_operator_reply = serializers.BooleanField(source="awaiting_operator")


class StaffTicketPageOut(serializers.Serializer):
    results = StaffTicketRowOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class BillingOut(serializers.Serializer):
    charged_usd = UsdField(source="charged_micros")
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
    # The ticket without its transcript: after PATCH/reply/bounty, and inside the detail.

    agent = AgentBalanceOut()
    body = serializers.CharField()
    updated_at = serializers.DateTimeField()
    support_session_id = serializers.CharField()
    source_session_id = serializers.CharField(allow_null=True)
    billing = BillingOut(source="*")
    bounty = BountyStaffOut(source="*", allow_null=True)
    allowed_transitions = serializers.SerializerMethodField()

    def get_allowed_transitions(self, ticket: Any) -> list[str]:
        return allowed_transitions(ticket.status, Actor.STAFF)


class StaffTranscriptOut(StaffTicketOut):
    # Reads a `search.Transcript`: the ticket, its whole thread, and the enrich chat it came from.

    messages = StaffMessageOut(many=True)
    source_session = SourceSessionOut(allow_null=True)

    def to_representation(self, instance: Any) -> Any:
        transcript: Transcript = instance
        source = transcript.source_session
        return {
            **StaffTicketOut(transcript.ticket).data,
            "messages": StaffMessageOut(transcript.messages, many=True).data,
            "source_session": None if source is None else SourceSessionOut({
                "id": source.id, "title": source.title, "session_kind": source.session_kind,
                "messages": transcript.source_messages,
            }).data,
        }


class ReplyOut(serializers.Serializer):
    message = StaffMessageOut()
    ticket = StaffTicketOut()


class BountyDecisionOut(serializers.Serializer):
    ticket = StaffTicketOut()
    changed = serializers.BooleanField()
    queued = serializers.BooleanField()
