"""The inbox's views (queues): Needs reply, Mine, Unassigned, All, Closed — and operators' saved views.

A view is a condition and an order on top of the inbox filters of `tickets.search` (status,
category, assignee, search). The counts of every view are one query of LIMITed subqueries, so
they stay bounded ("1000+") whatever the table size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet

from support_project.domain import InvalidInput, NotFound

from . import search
from .models import SavedView, Ticket, TicketStatus

ACTIVE = (TicketStatus.OPEN, TicketStatus.PENDING)
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
COUNT_CAP = 1000
MAX_SAVED_VIEWS = 20
MAX_VIEW_NAME_CHARS = 60
# The GET parameters a saved view keeps (never a cursor: a saved view starts at the top).
VIEW_PARAMS = ("view", "status", "category", "assignee", "q")


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    order: tuple[str, str]
    hint: str


NEEDS_REPLY = "needs_reply"
QUEUES: dict[str, Queue] = {q.key: q for q in (
    Queue(NEEDS_REPLY, "Needs reply", ("awaiting_since", "number"),
          "The customer wrote last; oldest wait first."),
    Queue("mine", "Mine", ("-last_activity_at", "-number"), "Open or pending, assigned to you."),
    Queue("unassigned", "Unassigned", ("-last_activity_at", "-number"), "Open or pending, nobody assigned."),
    Queue("all", "All", ("-last_activity_at", "-number"), "Every ticket, any status."),
    Queue("closed", "Closed", ("-last_activity_at", "-number"), "Resolved or closed."),
)}
DEFAULT_QUEUE = NEEDS_REPLY


def queue_condition(key: str, *, staff_user: Any) -> Q:
    if key == NEEDS_REPLY:
        return Q(awaiting_operator=True)
    if key == "mine":
        return Q(assignee_id=getattr(staff_user, "pk", None), status__in=ACTIVE)
    if key == "unassigned":
        return Q(assignee__isnull=True, status__in=ACTIVE)
    if key == "closed":
        return Q(status__in=DONE)
    return Q()


# The statuses a view can hold (None: any). A status filter outside them means "nothing" — known
# here, without asking PostgreSQL, which would otherwise walk every row of that status to find none.
_STATUSES: dict[str, tuple[str, ...] | None] = {NEEDS_REPLY: None, "mine": ACTIVE, "unassigned": ACTIVE,
                                                "all": None, "closed": DONE}


def _impossible(key: str, status: str | None) -> bool:
    allowed = _STATUSES[key]
    return bool(status) and allowed is not None and status not in allowed


def ticket_queue_for_staff(*, queue: str, staff_user: Any, status: str | None = None,
                           **search_filters: Any) -> QuerySet[Ticket]:
    """One view's tickets under the inbox filters (the caller orders by `QUEUES[queue].order` and pages).

    `search_filters` go to `search.ticket_list_for_staff` as they are (category, assignee, q, …).
    """
    tickets = search.ticket_list_for_staff(status=status, staff_user=staff_user, **search_filters)
    if _impossible(queue, status):
        return tickets.none()
    return tickets.filter(queue_condition(queue, staff_user=staff_user))


def ticket_queue_counts(*, staff_user: Any, status: str | None = None, **search_filters: Any) -> dict[str, int]:
    """{view: count, capped at COUNT_CAP} under the same filters. One query."""
    base = search.ticket_list_for_staff(status=status, staff_user=staff_user, **search_filters)
    parts: list[str] = []
    params: list[Any] = []
    for key in QUEUES:
        if _impossible(key, status):
            parts.append(f"0 AS capped_{key}")
            continue
        sub = base.filter(queue_condition(key, staff_user=staff_user)).order_by().values("pk")[:COUNT_CAP]
        sql, sub_params = sub.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{key})")  # noqa: S608 - Django-compiled SQL, bound params
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: int(n) for key, n in zip(QUEUES, row, strict=True)}


# --- saved views ------------------------------------------------------------------------------------


def saved_view_query(params: dict[str, str]) -> str:
    """The canonical query string of a view: known parameters only, in a fixed order."""
    return urlencode([(k, params[k]) for k in VIEW_PARAMS if params.get(k)])


def saved_view_list(*, staff_user: Any) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user_id=staff_user.pk).order_by("name", "id")


def saved_view_create(*, staff_user: Any, name: str, params: dict[str, str]) -> SavedView:
    """Save the current filters under a name (per operator; the same name replaces nothing: 400)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the view a name.", details={"name": ["This field may not be blank."]})
    if len(name) > MAX_VIEW_NAME_CHARS:
        raise InvalidInput(details={"name": [f"Ensure this field has no more than {MAX_VIEW_NAME_CHARS} characters."]})
    query = saved_view_query(params)
    if not query:
        raise InvalidInput("Nothing to save: choose a view or a filter first.",
                               details={"query": ["Choose a view or a filter first."]})
    with transaction.atomic():
        # The operator's row lock serialises their concurrent saves, so the cap holds.
        get_user_model().objects.select_for_update().filter(pk=staff_user.pk).first()
        if SavedView.objects.filter(user_id=staff_user.pk).count() >= MAX_SAVED_VIEWS:
            raise InvalidInput(f"You have {MAX_SAVED_VIEWS} saved views; delete one first.",
                                   details={"name": [f"At most {MAX_SAVED_VIEWS} saved views per operator."]})
        try:
            with transaction.atomic():
                return SavedView.objects.create(user_id=staff_user.pk, name=name, query=query)
        except IntegrityError as exc:
            raise InvalidInput(f"You already have a view named “{name}”.",
                                   details={"name": ["You already have a view with this name."]}) from exc


def saved_view_delete(*, staff_user: Any, view_id: int | str) -> None:
    """Delete one of the caller's saved views; anyone else's (or none) is a 404."""
    try:
        pk = int(view_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("No such saved view.") from exc
    deleted, _ = SavedView.objects.filter(pk=pk, user_id=staff_user.pk).delete()
    if not deleted:
        raise NotFound("No such saved view.")


def saved_view_params(view: SavedView) -> dict[str, str]:
    return {k: v for k, v in parse_qsl(view.query) if k in VIEW_PARAMS}
