"""Saved replies: canned answers operators insert from the reply box, with placeholders.

Placeholders are `{customer_name}`, `{ticket_number}` and `{operator_name}`; anything else in
braces is left as written (a reply may well contain JSON). A saved reply may also propose a status
(`set_status`), which the reply box preselects; the operator still decides when sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from support_project.domain import InvalidInput, NotFound

from .models import SavedReply, Ticket, TicketStatus
from .operators import MAX_REPLY_CHARS, staff_display_name

MAX_TITLE_CHARS = 80
PLACEHOLDERS = {
    "customer_name": "the customer's (agent's) name",
    "ticket_number": "the ticket number, e.g. #42",
    "operator_name": "your display name",
}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


@dataclass(frozen=True)
class RenderedReply:
    text: str
    support_status: str  # "" = leave the default rule


def saved_reply_list() -> QuerySet[SavedReply]:
    return SavedReply.objects.order_by("title", "id")


def saved_reply_get(*, reply_id: int | str) -> SavedReply:
    try:
        return SavedReply.objects.get(pk=int(reply_id))
    except (SavedReply.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such saved reply.") from exc


def saved_reply_render(*, reply: SavedReply, ticket: Ticket, staff_user: Any) -> RenderedReply:
    """The reply's text with its placeholders filled in for this ticket and operator."""
    values = {
        "customer_name": ticket.agent.name,
        "ticket_number": f"#{ticket.number}",
        "operator_name": staff_display_name(staff_user),
    }
    return RenderedReply(text=_PLACEHOLDER.sub(lambda m: values[m.group(1)], reply.body),
                         support_status=reply.set_status)


def _clean(title: str, body: str, set_status: str) -> tuple[str, str, str]:
    title, body, set_status = title.strip(), body.strip(), (set_status or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["This field may not be blank."]
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = [f"Ensure this field has no more than {MAX_TITLE_CHARS} characters."]
    if not body:
        errors["body"] = ["This field may not be blank."]
    elif len(body) > MAX_REPLY_CHARS:
        errors["body"] = [f"Ensure this field has no more than {MAX_REPLY_CHARS} characters."]
    if set_status and set_status not in TicketStatus.values:
        errors["set_status"] = [f"Must be blank or one of: {', '.join(TicketStatus.values)}."]
    if errors:
        raise InvalidInput(details=errors)
    return title, body, set_status


def _title_taken() -> InvalidInput:
    return InvalidInput("A saved reply with this title exists.",
                            details={"title": ["A saved reply with this title already exists."]})


def saved_reply_create(*, title: str, body: str, set_status: str = "", staff_user: Any) -> SavedReply:
    title, body, set_status = _clean(title, body, set_status)
    try:
        with transaction.atomic():
            return SavedReply.objects.create(title=title, body=body, set_status=set_status,
                                             created_by=staff_user)
    except IntegrityError as exc:
        raise _title_taken() from exc


def saved_reply_update(*, reply: SavedReply, title: str, body: str, set_status: str = "") -> SavedReply:
    title, body, set_status = _clean(title, body, set_status)
    try:
        with transaction.atomic():
            updated = SavedReply.objects.filter(pk=reply.pk).update(
                title=title, body=body, set_status=set_status, updated_at=timezone.now())
    except IntegrityError as exc:
        raise _title_taken() from exc
    if not updated:
        raise NotFound("No such saved reply.")
    reply.refresh_from_db()
    return reply


def saved_reply_delete(*, reply: SavedReply) -> None:
    SavedReply.objects.filter(pk=reply.pk).delete()
