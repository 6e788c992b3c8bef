"""Reads for attachments. Customers see their own threads' files except an internal note's, and
staff-uploaded files only once they are on a public message; another agent's id is a 404."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import Agent
from support_project.domain import NotFound

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


def unattached_older_than(*, cutoff: datetime) -> QuerySet[Attachment]:
    return Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff)
