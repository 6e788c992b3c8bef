"""Reply collisions (issue #14 item 3): a reply carries the last message its author saw.

If a newer *public* message arrived in the thread since (the customer wrote again, or another
operator answered), the reply is not sent: the author sees what arrived, keeps the draft, and can
send anyway. Internal notes never block a reply. Checked under the ticket's row lock, so two
operators replying at once can't both pass on the same view of the thread.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from demo_sessions.models import Message
from support_project.domain import Conflict, InvalidInput

from .models import Ticket


class ReplyCollision(Conflict):
    """409 REPLY_COLLISION; `newer` are the public messages the author had not seen."""

    def __init__(self, newer: list[Message]) -> None:
        super().__init__(
            "REPLY_COLLISION",
            "Newer messages arrived in this thread since you last looked; your reply was not sent. "
            "Read them, then send again (without last_seen_message_id to send anyway).",
            details={"newer_message_ids": [m.id for m in newer]},
        )
        self.newer = newer


def public_thread(*, ticket: Ticket) -> QuerySet[Message]:
    return Message.objects.filter(session_id=ticket.support_session_id, internal=False).order_by("created_at", "id")


def last_public_message_id(*, ticket: Ticket) -> str:
    last = public_thread(ticket=ticket).order_by("-created_at", "-id").values_list("id", flat=True).first()
    return last or ""


def check_no_newer_public_message(*, ticket: Ticket, last_seen_message_id: str) -> None:
    """Raise ReplyCollision when a public message newer than `last_seen_message_id` exists.

    Call under the ticket's row lock. An id that isn't a message of this thread is a 400.
    """
    seen = (Message.objects.filter(session_id=ticket.support_session_id, id=last_seen_message_id)
            .values("created_at", "id").first())
    if seen is None:
        raise InvalidInput(details={"last_seen_message_id": ["Not a message of this ticket's thread."]})
    newer = list(public_thread(ticket=ticket).filter(
        Q(created_at__gt=seen["created_at"]) | Q(created_at=seen["created_at"], id__gt=seen["id"])))
    if newer:
        raise ReplyCollision(newer)
