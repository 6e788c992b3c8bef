"""Reads for event callbacks. Every user-supplied id goes through an owner-scoped getter: another
agent's subscription or delivery is a 404, never a 403 (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Agent
from support_project.domain import NotFound

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


def event_feed(*, agent: Agent, after_seq: int, limit: int) -> list[Event]:
    """The agent's events after `after_seq`, oldest first, one query.

    `seq` is assigned at INSERT but rows become visible at COMMIT, so a slow transaction could
    commit a lower seq after a reader has moved past it. Events younger than
    WEBHOOK_FEED_SETTLE_SECONDS are held back to leave in-flight writers time to commit (ticket
    writes are short: ≤ 10 statements).
    """
    settle = float(getattr(settings, "WEBHOOK_FEED_SETTLE_SECONDS", 2.0))
    queryset = Event.objects.filter(agent_id=agent.id, seq__gt=after_seq).exclude(type=EventType.TEST)
    if settle > 0:
        queryset = queryset.filter(created_at__lte=timezone.now() - timedelta(seconds=settle))
    return list(queryset.order_by("seq").only("seq", "envelope")[:limit])
