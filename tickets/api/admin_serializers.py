"""Request bodies and response shapes of the staff API (SPEC §6).

The response serializers render at run time and document OpenAPI; they make no queries of their
own: everything they touch is select_related by the selectors in tickets/search.py. Request
serializers are strict (unknown fields are 400s).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.serializers import UsdField
from demo_sessions.api.serializers import attachment_ids_field, unique_ids
from demo_sessions.serializers import MessageOut
from support_project.api.serializers import StrictCharField, StrictSerializer

from ..bounty import DECISIONS, MAX_NOTE_CHARS
from ..models import Category, Priority, TicketEvent, TicketStatus, TimelineActor, TimelineKind
from ..operators import MAX_REPLY_CHARS
from ..search import MAX_QUERY_CHARS, Transcript
from ..search_highlight import search_hits_json
from ..serializers import BountyOut
from ..status import Actor, allowed_transitions

# --- request bodies and query parameters ---------------------------------------------------------

SEARCH_HELP = (
    "Search. Words (websearch syntax: `export -csv \"time out\"`) match the customer's name, the subject, "
    "the body and the thread's messages by people (internal notes too); `#12` finds ticket 12 (and only "
    "it), `12` ticket 12 or the word; `tkt_ab…` finds tickets whose id starts so; `agt_…` an agent's "
    "tickets by (a prefix of) its id. "
    "Each row then carries `highlight`."
)
INCLUDE_BOTS_HELP = (
    "Also match bot and triage text (messages by triage_bot, assistant and system). Default false: "
    "a ticket doesn't show up for a word only the triage bot quoted."
)


class StaffTicketListParams(StrictSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    category = serializers.ChoiceField(choices=Category.values, required=False)
    assignee = StrictCharField(required=False, max_length=150, help_text='"me", "none" or a staff username.')
    q = StrictCharField(required=False, allow_blank=True, max_length=MAX_QUERY_CHARS,
                        help_text=SEARCH_HELP)
    include_bots = serializers.BooleanField(required=False, default=False, help_text=INCLUDE_BOTS_HELP)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


class ReplyIn(StrictSerializer):
    text = StrictCharField(max_length=MAX_REPLY_CHARS)
    internal = serializers.BooleanField(required=False, default=False)
    support_status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    last_seen_message_id = StrictCharField(
        max_length=40, required=False,
        help_text="The newest message the author saw. If a newer public message exists, nothing is sent: "
                  "409 REPLY_COLLISION with details.newer_message_ids. Omit it to send regardless.")
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


class SearchHitsOut(serializers.Serializer):
    """HTML: the text escaped, the matched words in `<mark>…</mark>` (safe to insert as HTML)."""

    subject = serializers.CharField()
    agent_name = serializers.CharField()
    snippet = serializers.CharField(help_text="Up to two fragments of the thread around the matches; \"\" if none.")


class StaffTicketListRowOut(StaffTicketRowOut):
    # A row of the staff list: the row plus its search hits (annotated by search.ticket_list_for_staff).

    highlight = serializers.SerializerMethodField(help_text="Search hits with `q`; null without.")

    @extend_schema_field(SearchHitsOut(allow_null=True))
    def get_highlight(self, ticket: Any) -> dict[str, str] | None:
        return search_hits_json(ticket)


class StaffTicketPageOut(serializers.Serializer):
    results = StaffTicketListRowOut(many=True)
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


class TimelineActorOut(serializers.Serializer):
    # Who made a change: reads the TicketEvent itself (source="*"); needs `actor` select_related.

    kind = serializers.ChoiceField(source="actor_kind", choices=TimelineActor.values)
    username = serializers.SerializerMethodField(help_text="The operator's username; null for customer/system.")
    name = serializers.CharField(source="actor_label",
                                 help_text='Display name: the operator\'s name, "Customer" or "System".')

    def get_username(self, event: TicketEvent) -> str | None:
        return event.actor.get_username() if event.actor_id and event.actor else None


class TimelineEventOut(serializers.Serializer):
    """A change of the ticket (staff only; never in customer APIs, /demo or webhooks)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TimelineKind.values)
    actor = TimelineActorOut(source="*")
    old = serializers.SerializerMethodField(help_text="Value before (null: none, e.g. unassigned).")
    new = serializers.SerializerMethodField(help_text="Value after (null: none).")
    created_at = serializers.DateTimeField()

    def get_old(self, event: TicketEvent) -> str | None:
        return event.old or None

    def get_new(self, event: TicketEvent) -> str | None:
        return event.new or None


class StaffTranscriptOut(StaffTicketOut):
    # Reads a `search.Transcript`: the ticket, its whole thread, and the enrich chat it came from.

    messages = StaffMessageOut(many=True)
    timeline = TimelineEventOut(many=True, help_text=(
        "Status, assignee, priority, bounty and rating changes, oldest first. A separate list (not "
        "interleaved with `messages`): merge by `created_at` to show one thread."))
    source_session = SourceSessionOut(allow_null=True)

    def to_representation(self, instance: Any) -> Any:
        transcript: Transcript = instance
        source = transcript.source_session
        return {
            **StaffTicketOut(transcript.ticket).data,
            "messages": StaffMessageOut(transcript.messages, many=True).data,
            "timeline": TimelineEventOut(transcript.events, many=True).data,
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
