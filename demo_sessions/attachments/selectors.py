"""Reads for attachments. Customers see their own threads' files except an internal note's, and
staff-uploaded files only once they are on a public message; another agent's id is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Agent
from support_project.api.errors import NotFound
from support_project.api.serializers import rfc3339

from ..models import Attachment, Uploader


def customer_visible() -> Q:
    return Q(message__isnull=True, uploader=Uploader.CUSTOMER) | Q(message__internal=False)


def attachment_get_for_agent(*, agent: Agent, attachment_id: str) -> Attachment:
    found = Attachment.objects.filter(customer_visible(), agent=agent, id=attachment_id).first()
    if found is None:
        raise NotFound("No such attachment.")
    return found


def attachment_get_for_staff(*, attachment_id: str) -> Attachment:
    found = Attachment.objects.filter(id=attachment_id).first()
    if found is None:
        raise NotFound("No such attachment.")
    return found


def attachments_of_session_total(*, session_id: str) -> int:
    from django.db.models import Sum

    return int(Attachment.objects.filter(session_id=session_id).aggregate(total=Sum("size"))["total"] or 0)


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    """The one shape: upload response, message bodies (REST, MCP) and webhook payloads."""
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "created_at": rfc3339(attachment.created_at),
    }


def message_attachments_json(message: Any) -> list[dict[str, Any]]:
    """A message's files in upload order; uses a prefetch of `attachments` when there is one."""
    rows = sorted(message.attachments.all(), key=lambda a: (a.created_at, a.id))
    return [attachment_json(a) for a in rows]


def unattached_older_than(*, cutoff: Any) -> QuerySet[Attachment]:
    return Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff)
