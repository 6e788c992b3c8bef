"""The one shape of a ticket as customers see it: REST, the agent's tools and `support.*` webhook
payloads all render `TicketOut` (no internal notes, no staff names). Timestamps are RFC 3339 UTC
with `Z`, as DRF's DateTimeField writes them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from billing.money import usd_str
from billing.serializers import UsdField

from .models import BountyStatus, Category, Ticket
from .status import Actor, allowed_transitions


class BountyOut(serializers.Serializer):
    # A bug ticket's bounty; null for other categories. Reads the ticket (source="*").

    eligible = serializers.BooleanField()
    status = serializers.CharField()
    amount_usd = serializers.CharField()

    def to_representation(self, instance: Any) -> Any:
        if instance.category != Category.BUG:
            return None
        return {"eligible": True, "status": instance.bounty_status or BountyStatus.PENDING_REVIEW,
                "amount_usd": usd_str(settings.BUG_BOUNTY_MICROS)}


class RatingOut(serializers.Serializer):
    # The customer's rating of a resolved or closed ticket (tickets/ratings.py); null until rated.
    # Reads the ticket (source="*").

    score = serializers.IntegerField(source="rating_score")
    comment = serializers.CharField(source="rating_comment")
    created_at = serializers.DateTimeField(source="rated_at")

    def to_representation(self, instance: Any) -> Any:
        if instance.rating_score is None:
            return None
        return super().to_representation(instance)


class TicketRatedOut(RatingOut):
    # 201 of POST /support/tickets/{id}/rating: the rating and its ticket's id.

    ticket_id = serializers.CharField(source="public_id")


class _TicketCommonOut(serializers.Serializer):
    actor = Actor.CUSTOMER  # whose allowed_transitions

    ticket_id = serializers.CharField(source="public_id")
    number = serializers.IntegerField()
    support_session_id = serializers.CharField()
    open_url = serializers.SerializerMethodField()
    support_status = serializers.CharField(source="status")
    category = serializers.CharField()
    subject = serializers.CharField()
    created_at = serializers.DateTimeField()
    charged_usd = UsdField(source="charged_micros")
    payment_method = serializers.CharField()
    bounty = BountyOut(source="*", allow_null=True)
    allowed_transitions = serializers.SerializerMethodField()

    def get_open_url(self, ticket: Ticket) -> str:
        return f"/demo?session={ticket.support_session_id}"

    def get_allowed_transitions(self, ticket: Ticket) -> list[str]:
        return allowed_transitions(ticket.status, self.actor)


class TicketBriefOut(_TicketCommonOut):
    # The ticket in brief: TicketCreatedOut without the balance.
    pass


class TicketCreatedOut(TicketBriefOut):
    # 201 of POST /support/tickets: the ticket in brief and the balance after the charge
    # (rendered by `ticket_created_out`).

    virtual_balance_usd = serializers.CharField()


class TicketOut(_TicketCommonOut):
    body = serializers.CharField()
    priority = serializers.CharField()
    updated_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    source_session_id = serializers.CharField(allow_null=True)
    rating = RatingOut(source="*", allow_null=True)


# One shared instance per output serializer: DRF deep-copies every declared field whenever a
# serializer is instantiated (TicketOut: ~310 µs), while rendering with an instance built once
# costs ~40 µs. `to_representation` keeps no state on the serializer, so threads can share it.
_TICKET_OUT = TicketOut()
_TICKET_BRIEF_OUT = TicketBriefOut()


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    """`TicketOut(ticket).data`, from the shared serializer."""
    return dict(_TICKET_OUT.to_representation(ticket))


def ticket_created_out(ticket: Ticket, *, balance_after_micros: int) -> dict[str, Any]:
    """The 201 body of a ticket create (`TicketCreatedOut`)."""
    return {**_TICKET_BRIEF_OUT.to_representation(ticket), "virtual_balance_usd": usd_str(balance_after_micros)}
