"""Staff reads: the inbox list (filters + full-text search), status tab counts, one ticket's transcript.

Staff see every agent's tickets, so there is no ownership filter here; callers must have checked
that the caller is staff (`IsStaff` on the API, `staff_required` on /ui-traffic).

Full-text search on PostgreSQL matches `Ticket.search_vector` (subject, body and every thread
message, internal notes included; kept current by the triggers of migration 0002) through its GIN
index with `websearch_to_tsquery`, so operators can type `export -csv "time out"`. Elsewhere
(SQLite, the local default) it falls back to icontains over the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from demo_sessions.models import DemoSession, Message
from support_project.domain import NotFound

from .models import Ticket, TicketStatus

MAX_QUERY_CHARS = 200
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
_NUMBER = re.compile(r"^#?(\d{1,18})$")


def search_filter(q: str) -> Q:
    """The WHERE clause for a staff search box. `#12`/`12` and `tkt_…` also find that ticket."""
    q = q.strip()[:MAX_QUERY_CHARS]
    if settings.IS_POSTGRES:
        condition = Q(search_vector=SearchQuery(q, config="english", search_type="websearch"))
    else:
        in_thread = Message.objects.filter(session_id=OuterRef("support_session_id"), text__icontains=q)
        condition = Q(subject__icontains=q) | Q(body__icontains=q) | Q(Exists(in_thread))
    number = _NUMBER.match(q)
    if number:
        condition |= Q(number=int(number.group(1)))
    if q.startswith("tkt_"):
        condition |= Q(public_id=q)
    return condition


def ticket_list_for_staff(
    *,
    status: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    q: str | None = None,
    staff_user: Any = None,
) -> QuerySet[Ticket]:
    """Every agent's tickets with the inbox filters; the caller orders and pages (one query).

    `assignee` is `me` (needs `staff_user`), `none` (unassigned) or a username.
    """
    qs = Ticket.objects.select_related("agent", "assignee")
    qs = _filtered(qs, category=category, assignee=assignee, q=q, staff_user=staff_user)
    return qs.filter(status=status) if status else qs


# Tab counts stop at this many per status ("1000+"): exact for any queue a human works through,
# and a bounded index walk whatever the table size (an exact COUNT at 1M tickets took ~0.5 s).
STATUS_COUNT_CAP = 1000


def ticket_status_counts(
    *, category: str | None = None, assignee: str | None = None, q: str | None = None, staff_user: Any = None
) -> dict[str, int]:
    """{status: count, capped at STATUS_COUNT_CAP} under the same filters (status aside). One query:
    a LIMITed subquery per status, each walking the (status, …) index."""
    qs = _filtered(Ticket.objects.all(), category=category, assignee=assignee, q=q, staff_user=staff_user)
    parts: list[str] = []
    params: list[Any] = []
    for status in TicketStatus.values:
        sql, sub_params = qs.filter(status=status).order_by().values("pk")[:STATUS_COUNT_CAP].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{status})")  # noqa: S608 - Django-compiled SQL, bound params
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {status: int(n) for status, n in zip(TicketStatus.values, row, strict=True) if n}


def _filtered(qs: QuerySet[Ticket], *, category: str | None, assignee: str | None, q: str | None,
              staff_user: Any) -> QuerySet[Ticket]:
    if category:
        qs = qs.filter(category=category)
    if assignee == ASSIGNEE_ME:
        qs = qs.filter(assignee_id=getattr(staff_user, "pk", None))
    elif assignee == ASSIGNEE_NONE:
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee__username=assignee)
    if q and q.strip():
        qs = qs.filter(search_filter(q))
    return qs


def ticket_get_for_staff(*, ref: str) -> Ticket:
    """A ticket by public id (`tkt_…`) or, for the inbox's short URLs, by number. 404 otherwise."""
    qs = Ticket.objects.select_related("agent", "assignee", "bounty_decided_by", "source_session")
    number = _NUMBER.match(ref)
    ticket = qs.filter(number=int(number.group(1))).first() if number else qs.filter(public_id=ref).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


@dataclass(frozen=True)
class Transcript:
    ticket: Ticket
    messages: list[Message]  # the support thread, internal notes and triage_bot included
    source_session: DemoSession | None
    source_messages: list[Message]


def ticket_transcript_for_staff(*, ref: str) -> Transcript:
    """The ticket (1 query), its thread (1) and the source enrich chat's messages (1, if any)."""
    ticket = ticket_get_for_staff(ref=ref)
    # + 1 query for the thread's attachments (prefetch), + 1 for the source chat's when there is one.
    messages = list(Message.objects.filter(session_id=ticket.support_session_id).order_by("created_at", "id")
                    .prefetch_related("attachments"))
    source_messages: list[Message] = []
    if ticket.source_session_id:
        source_messages = list(
            Message.objects.filter(session_id=ticket.source_session_id).order_by("created_at", "id")
            .prefetch_related("attachments")
        )
    return Transcript(ticket=ticket, messages=messages, source_session=ticket.source_session,
                      source_messages=source_messages)


def staff_user_list() -> QuerySet[Any]:
    """Active staff, for assignee pickers."""
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


def staff_user_by_username(*, username: str) -> Any | None:
    return staff_user_list().filter(username=username).first()
