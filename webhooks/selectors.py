"""Reads for event callbacks. Every user-supplied id goes through an owner-scoped getter: another
agent's subscription or delivery is a 404, never a 403 (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Agent
from support_project.domain import NotFound
from support_project.txid import horizon_sql

from .models import Delivery, DeliveryAttempt, Event, EventType, Subscription


@dataclass(frozen=True)
class Owner:
    """Whose subscriptions: an agent's, or (agent None) the staff-scope ones, which receive every
    agent's support.* events. `staff_user` is who acts on the staff scope."""

    agent: Agent | None
    staff_user: Any = None

    @property
    def is_staff_scope(self) -> bool:
        return self.agent is None

    def subscriptions_filter(self) -> Q:
        return Q(agent__isnull=True) if self.agent is None else Q(agent_id=self.agent.id)


def subscription_list(*, owner: Owner) -> QuerySet[Subscription]:
    return Subscription.objects.filter(owner.subscriptions_filter())


def subscription_get(*, owner: Owner, subscription_id: str) -> Subscription:
    subscription = subscription_list(owner=owner).filter(id=subscription_id).first()
    if subscription is None:
        raise NotFound("No such subscription.")
    return subscription


def subscription_active_count(*, owner: Owner) -> int:
    return subscription_list(owner=owner).filter(active=True).count()


def delivery_log(*, subscription: Subscription) -> QuerySet[Delivery]:
    """Deliveries with their event (joined) and their attempts (one prefetch query)."""
    return (
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("attempt_number", "id")))
    )


def delivery_get(*, owner: Owner, delivery_id: str) -> Delivery:
    delivery = (
        Delivery.objects.select_related("subscription", "event")
        .filter(id=delivery_id)
        .filter(**({"subscription__agent__isnull": True} if owner.agent is None
                   else {"subscription__agent_id": owner.agent.id}))
        .first()
    )
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


def event_feed(*, agent: Agent, after: tuple[int, int], limit: int) -> list[Event]:
    """The agent's events after position `after` = (txid, seq), in position order, one query.

    Commit-order safe (support_project/txid.py): only events whose transaction is older than this
    statement's snapshot xmin are returned, so an event still being committed by a slower
    transaction can never end up behind a cursor that has moved past it. Nothing is held back
    once the writers before it have ended; there is no fixed delay.
    """
    horizon = RawSQL(horizon_sql(connection.vendor), [])  # noqa: S611 - constant SQL, no user input
    txid, seq = after
    return list(
        Event.objects.filter(agent_id=agent.id, txid__lt=horizon)
        .filter(Q(txid__gt=txid) | Q(txid=txid, seq__gt=seq))
        .exclude(type=EventType.TEST)
        .order_by("txid", "seq")
        .only("seq", "txid", "envelope")[:limit]
    )


def event_position_of_seq(*, seq: int) -> tuple[int, int]:
    """The feed position of a cursor issued before positions carried a txid (`ev_<seq>`)."""
    txid = Event.objects.filter(seq=seq).values_list("txid", flat=True).first()
    return (txid or 0, seq)
