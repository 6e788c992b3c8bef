"""Event callbacks (SPEC §7): subscriptions, the event outbox, deliveries and their attempt log.

The signing secret is a *shared* secret: we must be able to recompute the HMAC on every attempt,
so it is stored recoverably (unlike bearer tokens, which are stored only as digests). Treat the
table like a credentials store: it is returned to the owner exactly once (create / rotate) and
never again, and it never appears in logs or in the delivery log.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from support_project.ids import new_id


def _subscription_id() -> str:
    return new_id("sub")


def _event_id() -> str:
    return new_id("evt")


def _delivery_id() -> str:
    return new_id("dlv")


class EventType(models.TextChoices):
    TICKET_CREATED = "support.ticket_created", "support.ticket_created"
    MESSAGE_CREATED = "support.message_created", "support.message_created"
    TICKET_UPDATED = "support.ticket_updated", "support.ticket_updated"
    BOUNTY_AWARDED = "support.bounty_awarded", "support.bounty_awarded"
    TICKET_RATED = "support.ticket_rated", "support.ticket_rated"
    SUBSCRIPTION_DISABLED = "webhook.subscription_disabled", "webhook.subscription_disabled"
    TEST = "webhook.test", "webhook.test"


SUPPORT_EVENT_TYPES = tuple(t for t in EventType.values if t.startswith("support."))
SUBSCRIBABLE_EVENT_TYPES = (*SUPPORT_EVENT_TYPES, EventType.SUBSCRIPTION_DISABLED.value)


class AuthMode(models.TextChoices):
    HMAC = "hmac", "HMAC signature"
    HMAC_BEARER = "hmac_bearer", "HMAC signature + Authorization: Bearer"


class DisabledReason(models.TextChoices):
    NONE = "", "active"
    OWNER = "owner", "disabled by its owner"
    GONE = "gone", "the receiver answered 410 Gone"
    FAILING = "failing", "deliveries kept failing"


class Subscription(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=_subscription_id, editable=False)
    # NULL agent = a staff-scope subscription: it receives every agent's support.* events.
    agent = models.ForeignKey("accounts.Agent", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="webhook_subscriptions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    label = models.CharField(max_length=120, blank=True, default="")
    event_types = models.JSONField(default=list)
    callback_url = models.CharField(max_length=2048)
    http_method = models.CharField(max_length=8, default="POST")
    auth_mode = models.CharField(max_length=16, choices=AuthMode.choices, default=AuthMode.HMAC)
    bearer_token = models.CharField(max_length=512, blank=True, default="")
    signing_secret = models.CharField(max_length=64)
    previous_secret = models.CharField(max_length=64, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Failure tracking, reset by any successful delivery.
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_dead = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "-created_at", "-id"], name="whsub_agent_created_idx"),
            models.Index(fields=["agent", "active"], name="whsub_agent_active_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(http_method="POST"), name="whsub_http_method_post"),
            models.CheckConstraint(condition=Q(auth_mode__in=AuthMode.values), name="whsub_auth_mode_valid"),
            models.CheckConstraint(
                condition=Q(auth_mode=AuthMode.HMAC) | (Q(auth_mode=AuthMode.HMAC_BEARER) & ~Q(bearer_token="")),
                name="whsub_bearer_token_with_bearer_mode",
            ),
            models.CheckConstraint(condition=Q(disabled_reason__in=DisabledReason.values),
                                   name="whsub_disabled_reason_valid"),
            models.CheckConstraint(condition=Q(active=True, disabled_reason="") | Q(active=False),
                                   name="whsub_active_has_no_disabled_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.id} → {self.callback_url}"

    @property
    def is_staff_scope(self) -> bool:
        return self.agent_id is None

    def secrets_for_signing(self, *, now: datetime | None = None) -> list[str]:
        """The current secret, then the previous one while its 24 h overlap lasts."""
        moment = now or timezone.now()
        out = [self.signing_secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > moment:
            out.append(self.previous_secret)
        return out


class Event(models.Model):
    """The outbox record: written in the same transaction as the change it describes.

    `seq` orders the pull feed; `envelope` holds the exact JSON bytes every attempt sends, frozen
    at emit time so retries sign and send the same body.
    """

    seq = models.BigAutoField(primary_key=True)
    public_id = models.CharField(max_length=40, unique=True, default=_event_id, editable=False)
    type = models.CharField(max_length=64, choices=EventType.choices)
    # NULL only for events about staff-scope subscriptions (e.g. one of theirs was disabled).
    agent = models.ForeignKey("accounts.Agent", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    envelope = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set once Delivery rows exist for every matching subscription (dispatch task or sweeper).
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "seq"], name="whevent_agent_seq_idx"),
            models.Index(fields=["seq"], condition=Q(fanned_out_at__isnull=True), name="whevent_pending_fanout_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=EventType.values), name="whevent_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending (not attempted yet)"
    FAILED = "failed", "failed, a retry is scheduled"
    SUCCEEDED = "succeeded", "succeeded"
    DEAD = "dead", "gave up"


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class Delivery(models.Model):
    """One event × one subscription. Its id is the `webhook-id`, the same on every attempt."""

    id = models.CharField(primary_key=True, max_length=40, default=_delivery_id, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # When the next attempt is due; a claimed attempt pushes it forward by a lease (see dispatch.py).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a `deliver` task was last queued, so the sweeper doesn't queue the same row every tick.
    queued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["subscription", "-created_at", "-id"], name="whdlv_subscription_log_idx"),
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["pending", "failed"]),
                         name="whdlv_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="whdlv_event_subscription_uniq"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="whdlv_status_valid"),
            models.CheckConstraint(condition=~Q(status__in=["pending", "failed"]) | Q(next_attempt_at__isnull=False),
                                   name="whdlv_due_has_next_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    attempt_number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    error = models.CharField(max_length=500, blank=True, default="")
    response_body = models.TextField(blank=True, default="")  # at most 2 KiB, decoded leniently

    class Meta:
        indexes = [models.Index(fields=["delivery", "attempted_at"], name="whattempt_delivery_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(attempt_number__gte=1), name="whattempt_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.attempt_number}"
