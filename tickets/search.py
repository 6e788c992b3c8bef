"""Staff reads: the inbox list (filters + full-text search), status tab counts, one ticket's transcript.

Staff see every agent's tickets, so there is no ownership filter here; callers must have checked
that the caller is staff (`IsStaff` on the API, `staff_required` on /ui-traffic).

Full-text search on PostgreSQL matches `Ticket.search_vector_human` (the customer's name, subject,
body and the thread's messages by people — customer and operators, internal notes included) or,
with `include_bots`, `Ticket.search_vector` (the same plus bot text: triage_bot, assistant, system),
through their GIN indexes with `websearch_to_tsquery`, so operators can type
`export -csv "time out"`. Triggers keep both vectors current (migrations 0002 and 0006). Besides
words, a query finds a ticket by `#12`/`12`, by a ticket id or its prefix (`tkt_ab…`) and an
agent's tickets by its id or id prefix (`agt_…`); each is an indexed condition OR'd with the
full-text match. Elsewhere (SQLite, the local default) words fall back to icontains.

Matched words come back highlighted (`search_hits`, PostgreSQL's ts_headline) between private-use
marker characters that `highlight_html` turns into `<mark>` after escaping everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Agent
from demo_sessions.models import DemoSession, Message
from support_project.domain import NotFound

from .models import Ticket, TicketEvent, TicketStatus
from .search_highlight import BOT_AUTHORS, with_search_hits

MAX_QUERY_CHARS = 200
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
_NUMBER = re.compile(r"^#?(\d{1,18})$")
# Public ids are `<prefix>_<22 base62>`: a prefix of one is `tkt_` plus 1..22 of those characters.
_TICKET_ID_PREFIX = re.compile(r"^tkt_[0-9A-Za-z]{0,22}$")
_AGENT_ID_PREFIX = re.compile(r"^agt_[0-9A-Za-z]{0,22}$")


def search_query(q: str) -> SearchQuery:
    return SearchQuery(q.strip()[:MAX_QUERY_CHARS], config="english", search_type="websearch")


def search_filter(q: str, *, include_bots: bool = False) -> Q:
    """The WHERE clause for a staff search box: words (in people's text, or all text with
    `include_bots`), `12` (that number or the word), `#12` (only ticket 12), a ticket id prefix
    `tkt_…`, an agent id prefix `agt_…`."""
    q = q.strip()[:MAX_QUERY_CHARS]
    number = _NUMBER.match(q)
    if number and q.startswith("#"):
        # `#12` means ticket 12, nothing else: a primary-key lookup. (OR'd with a rare word, the
        # planner may walk the whole activity index looking for more rows: 360 ms at 100k.)
        return Q(number=int(number.group(1)))
    if settings.IS_POSTGRES:
        vector = "search_vector" if include_bots else "search_vector_human"
        condition = Q(**{vector: search_query(q)})
    else:
        in_thread = Message.objects.filter(session_id=OuterRef("support_session_id"), text__icontains=q)
        if not include_bots:
            in_thread = in_thread.exclude(author__in=BOT_AUTHORS)
        condition = (Q(subject__icontains=q) | Q(body__icontains=q) | Q(agent__name__icontains=q)
                     | Q(Exists(in_thread)))
    if number:
        condition |= Q(number=int(number.group(1)))
    if _TICKET_ID_PREFIX.match(q):
        condition |= Q(public_id__startswith=q)  # the unique index's varchar_pattern_ops twin
    if _AGENT_ID_PREFIX.match(q):
        agents = Agent.objects.filter(id__startswith=q).values("id")  # LIKE 'agt_…%' on the agents' key
        condition |= Q(agent_id=q) if len(q) == 26 else Q(agent_id__in=agents)
    return condition


def ticket_list_for_staff(
    *,
    status: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    q: str | None = None,
    staff_user: Any = None,
    include_bots: bool = False,
) -> QuerySet[Ticket]:
    """Every agent's tickets with the inbox filters; the caller orders and pages (one query).

    `assignee` is `me` (needs `staff_user`), `none` (unassigned) or a username. With a search `q`,
    each row carries `search_subject`/`search_snippet` (highlight markers; see `highlight_html`),
    computed in the same query for the rows of the page only.
    """
    qs = Ticket.objects.select_related("agent", "assignee")
    qs = _filtered(qs, category=category, assignee=assignee, q=q, staff_user=staff_user, include_bots=include_bots)
    if q and q.strip():
        qs = with_search_hits(qs, query=search_query(q), include_bots=include_bots)
    return qs.filter(status=status) if status else qs


# Tab counts stop at this many per status ("1000+"): exact for any queue a human works through,
# and a bounded index walk whatever the table size (an exact COUNT at 1M tickets took ~0.5 s).
STATUS_COUNT_CAP = 1000


def ticket_status_counts(
    *, category: str | None = None, assignee: str | None = None, q: str | None = None, staff_user: Any = None,
    include_bots: bool = False,
) -> dict[str, int]:
    """{status: count, capped at STATUS_COUNT_CAP} under the same filters (status aside). One query:
    a LIMITed subquery per status, each walking the (status, …) index."""
    qs = _filtered(Ticket.objects.all(), category=category, assignee=assignee, q=q, staff_user=staff_user,
                   include_bots=include_bots)
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
              staff_user: Any, include_bots: bool = False) -> QuerySet[Ticket]:
    if category:
        qs = qs.filter(category=category)
    if assignee == ASSIGNEE_ME:
        qs = qs.filter(assignee_id=getattr(staff_user, "pk", None))
    elif assignee == ASSIGNEE_NONE:
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee__username=assignee)
    if q and q.strip():
        qs = qs.filter(search_filter(q, include_bots=include_bots))
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
    events: list[TicketEvent] = field(default_factory=list)  # the timeline (staff only), oldest first


def ticket_transcript_for_staff(*, ref: str) -> Transcript:
    """The ticket (1 query), its thread (1), its timeline (1) and the source enrich chat's messages
    (1, if any)."""
    ticket = ticket_get_for_staff(ref=ref)
    # + 1 query for the thread's attachments (prefetch), + 1 for the source chat's when there is one.
    messages = list(Message.objects.filter(session_id=ticket.support_session_id).order_by("created_at", "id")
                    .prefetch_related("attachments"))
    events = ticket_timeline_for_staff(ticket=ticket)
    source_messages: list[Message] = []
    if ticket.source_session_id:
        source_messages = list(
            Message.objects.filter(session_id=ticket.source_session_id).order_by("created_at", "id")
            .prefetch_related("attachments")
        )
    return Transcript(ticket=ticket, messages=messages, source_session=ticket.source_session,
                      source_messages=source_messages, events=events)


def ticket_timeline_for_staff(*, ticket: Ticket) -> list[TicketEvent]:
    """A ticket's timeline events, oldest first. One query (the actor is joined). Staff only."""
    return list(TicketEvent.objects.filter(ticket_id=ticket.pk).select_related("actor").order_by("created_at", "id"))


def staff_user_list() -> QuerySet[Any]:
    """Active staff, for assignee pickers."""
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


def staff_user_by_username(*, username: str) -> Any | None:
    return staff_user_list().filter(username=username).first()
