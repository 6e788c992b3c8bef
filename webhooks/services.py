"""Writes for event callbacks: the outbox (`event_emit`) and subscription management.

Delivery (fan-out, attempts, retries, the sweeper) lives in dispatch.py; the HTTP call itself in
delivery.py. Celery work is queued only after commit, by task name and id
(`support_project.taskqueue`), and a broker failure is logged and swallowed: the outbox row is
already committed, and the sweeper catches up.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Agent
from live import notify as live_notify
from support_project import sqlbatch
from support_project.domain import Conflict, InvalidInput
from support_project.ids import new_id
from support_project.taskqueue import enqueue_after_commit

from . import ssrf
from .catalog import envelope_json
from .models import AuthMode, DisabledReason, Event, EventType, Subscription
from .selectors import Owner, subscription_active_count
from .serializers import SubscriptionRefOut
from .signing import secret_new

logger = logging.getLogger(__name__)

ROTATION_OVERLAP = timedelta(hours=24)
# NOTIFY channel of new outbox events (payload: the event's public id), read by webhooks/relay.py.
OUTBOX_CHANNEL = "webhooks.outbox"
EMITTABLE_TYPES = frozenset(EventType.values) - {EventType.TEST}


# --- the outbox ---------------------------------------------------------------------------------

def event_record(*, agent_id: str | None, event_type: str, data: dict[str, Any], dispatch: bool = True) -> Event:
    """Insert one outbox row and have it fanned out once the caller commits.

    With WEBHOOK_RELAY (PostgreSQL, production) the row is announced with NOTIFY in the writer's
    transaction and the relay hands it to delivery: no broker round trip in the request. Otherwise
    the dispatch task is queued after commit. Either way the sweeper catches what was missed.
    """
    event_id = new_id("evt")
    now = timezone.now()
    event = Event(
        public_id=event_id, type=event_type, agent_id=agent_id, created_at=now,
        envelope=envelope_json(event_id=event_id, event_type=event_type, created_at=now, agent_id=agent_id, data=data),
        fanned_out_at=None if dispatch else now,
    )
    # One INSERT (with the relay, `… RETURNING pg_notify`), held by `sqlbatch.held()` to ride with the
    # writer's next statement; the returned event has no `seq` until it is sent.
    if dispatch and settings.WEBHOOK_RELAY:
        live_notify.insert_and_notify(event, OUTBOX_CHANNEL, event_id)
        return event
    sqlbatch.insert(event)
    if dispatch:
        enqueue_after_commit("webhooks.dispatch_event", event_id)
    return event


def event_emit(*, agent_id: str, event_type: str, data: dict) -> Event:
    """Record `event_type` for `agent_id` inside the caller's transaction (SPEC §7).

    Exactly one INSERT; nothing is sent until the caller commits, and nothing ever if it rolls
    back. Ticket services emit `support.message_created` only for public messages: internal
    notes must never be passed here.
    """
    if event_type not in EMITTABLE_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return event_record(agent_id=agent_id, event_type=event_type, data=data)


# --- subscriptions ----------------------------------------------------------------------------

def _check_url(callback_url: str) -> None:
    try:
        ssrf.check_callback_url(callback_url)
    except ssrf.BlockedDestination as exc:
        raise InvalidInput("The callback URL is not allowed.", details={"callback_url": [str(exc)]})


def _check_event_types(event_types: list[str]) -> None:
    bad = sorted(set(event_types) - EMITTABLE_TYPES)
    if bad:
        raise InvalidInput(details={"event_types": [f"Unknown event type: {t}." for t in bad]})


def _lock_owner(owner: Owner) -> None:
    """Serialise limit checks per owner so two concurrent creates can't both take the 20th slot."""
    if owner.agent is not None:
        list(Agent.objects.select_for_update().filter(id=owner.agent.id).values_list("id", flat=True))
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('webhooks.staff_scope_subscriptions'))")


def _check_limit(owner: Owner) -> None:
    limit = settings.WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS
    if subscription_active_count(owner=owner) >= limit:
        raise Conflict("SUBSCRIPTION_LIMIT_REACHED",
                       f"At most {limit} active subscriptions; disable or delete one first.",
                       details={"limit": limit})


def subscription_create(
    *, owner: Owner, label: str, event_types: list[str], callback_url: str, auth_mode: str = AuthMode.HMAC,
    bearer_token: str = "", http_method: str = "POST",
) -> tuple[Subscription, str]:
    """A new active subscription and its signing secret (shown to the caller once)."""
    _check_event_types(event_types)
    if auth_mode == AuthMode.HMAC_BEARER and not bearer_token:
        raise InvalidInput(details={"bearer_token": ["Required when auth_mode is hmac_bearer."]})
    if auth_mode == AuthMode.HMAC and bearer_token:
        raise InvalidInput(details={"bearer_token": ["Only allowed when auth_mode is hmac_bearer."]})
    _check_url(callback_url)  # DNS happens here, before any row lock is taken
    with transaction.atomic():
        _lock_owner(owner)
        _check_limit(owner)
        subscription = Subscription.objects.create(
            agent=owner.agent, created_by=owner.staff_user, label=label, event_types=sorted(set(event_types)),
            callback_url=callback_url, http_method=http_method, auth_mode=auth_mode, bearer_token=bearer_token,
            signing_secret=secret_new(),
        )
    return subscription, subscription.signing_secret


def subscription_update(*, owner: Owner, subscription: Subscription, changes: dict[str, Any]) -> Subscription:
    """PATCH: label, event_types, callback_url, active. Re-enabling counts against the limit."""
    if "event_types" in changes:
        _check_event_types(changes["event_types"])
        changes["event_types"] = sorted(set(changes["event_types"]))
    if "callback_url" in changes:
        _check_url(changes["callback_url"])
    with transaction.atomic():
        _lock_owner(owner)
        locked = Subscription.objects.select_for_update().get(id=subscription.id)
        now = timezone.now()
        if "active" in changes and changes["active"] != locked.active:
            if changes["active"]:
                _check_limit(owner)
                locked.disabled_reason, locked.disabled_at = DisabledReason.NONE, None
                locked.failing_since, locked.consecutive_failures, locked.consecutive_dead = None, 0, 0
            else:
                locked.disabled_reason, locked.disabled_at = DisabledReason.OWNER, now
            locked.active = changes["active"]
        for field in ("label", "event_types", "callback_url"):
            if field in changes:
                setattr(locked, field, changes[field])
        locked.save()
    return locked


def subscription_delete(*, subscription: Subscription) -> None:
    """Deletes the subscription with its deliveries and attempt log; events stay in the feed."""
    subscription.delete()


def subscription_rotate_secret(*, subscription: Subscription) -> tuple[Subscription, str]:
    """A new secret (returned once). The old one keeps signing for 24 h; a second rotation inside
    that window retires the oldest secret at once (at most two secrets ever sign)."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(id=subscription.id)
        locked.previous_secret = locked.signing_secret
        locked.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
        locked.signing_secret = secret_new()
        locked.save(update_fields=["previous_secret", "previous_secret_expires_at", "signing_secret", "updated_at"])
    return locked, locked.signing_secret


def subscription_disable(*, subscription_id: str, reason: str) -> bool:
    """Disable automatically (410, long failure) and tell the owner with an event. Call inside a
    transaction; True if this call disabled it."""
    locked = Subscription.objects.select_for_update().filter(id=subscription_id, active=True).first()
    if locked is None:
        return False
    now = timezone.now()
    locked.active, locked.disabled_reason, locked.disabled_at = False, reason, now
    locked.save(update_fields=["active", "disabled_reason", "disabled_at", "updated_at"])
    event_record(agent_id=locked.agent_id, event_type=EventType.SUBSCRIPTION_DISABLED,
                 data={"subscription": dict(SubscriptionRefOut(locked).data)})
    logger.info("webhook subscription %s disabled (%s)", locked.id, reason)
    return True

