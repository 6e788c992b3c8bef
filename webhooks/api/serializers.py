"""Request bodies (strict: unknown fields are 400) and response shapes for event callbacks."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from support_project.api.serializers import StrictSerializer

from ..models import SUBSCRIBABLE_EVENT_TYPES, AuthMode, Delivery, DeliveryAttempt, Subscription


class _NoControlChars(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in data):
            raise serializers.ValidationError("Must be a single line without control characters.")
        return super().to_internal_value(data)


def _event_types_field(required: bool) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=list(SUBSCRIBABLE_EVENT_TYPES)),
                                 min_length=1, max_length=len(SUBSCRIBABLE_EVENT_TYPES), required=required)


class SubscriptionCreateIn(StrictSerializer):
    label = _NoControlChars(max_length=120, required=False, allow_blank=True, default="")
    event_types = _event_types_field(required=True)
    callback_url = _NoControlChars(max_length=2048)
    http_method = serializers.ChoiceField(choices=["POST"], required=False, default="POST")
    auth_mode = serializers.ChoiceField(choices=AuthMode.values, required=False, default=AuthMode.HMAC)
    bearer_token = _NoControlChars(max_length=512, required=False, allow_blank=True, default="")


class SubscriptionUpdateIn(StrictSerializer):
    label = _NoControlChars(max_length=120, required=False, allow_blank=True)
    event_types = _event_types_field(required=False)
    callback_url = _NoControlChars(max_length=2048, required=False)
    active = serializers.BooleanField(required=False)

    def to_internal_value(self, data: Any) -> Any:
        # Booleans must be JSON booleans, not "true"/1 coerced.
        if isinstance(data, dict) and "active" in data and not isinstance(data["active"], bool):
            raise serializers.ValidationError({"active": ["Must be true or false."]})
        return super().to_internal_value(data)


class EmptyIn(StrictSerializer):
    """POSTs that take no body (rotate-secret, test, redeliver): `{}` or nothing."""


class SubscriptionOut(serializers.Serializer):
    id = serializers.CharField()
    agent_id = serializers.CharField(allow_null=True, help_text="null for staff-scope subscriptions")
    label = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    callback_url = serializers.CharField()
    http_method = serializers.CharField()
    auth_mode = serializers.CharField()
    active = serializers.BooleanField()
    disabled_reason = serializers.CharField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SubscriptionWithSecretOut(SubscriptionOut):
    signing_secret = serializers.CharField(help_text="ech_… — shown only in this response")


class SubscriptionPage(serializers.Serializer):
    results = SubscriptionOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class AttemptOut(serializers.Serializer):
    attempt_number = serializers.IntegerField()
    attempted_at = serializers.DateTimeField()
    succeeded = serializers.BooleanField()
    response_status = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()
    response_body = serializers.CharField(help_text="at most 2 KiB")


class DeliveryOut(serializers.Serializer):
    id = serializers.CharField(help_text="also the webhook-id / X-411data-Delivery header")
    subscription_id = serializers.CharField()
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "failed", "succeeded", "dead"])
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_response_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    attempts = AttemptOut(many=True)


class DeliveryPage(serializers.Serializer):
    results = DeliveryOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class TestResultOut(serializers.Serializer):
    delivery_id = serializers.CharField()
    event_id = serializers.CharField()
    attempt = AttemptOut()


class EventFeedOut(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField(), help_text="event envelopes, oldest first")
    next_cursor = serializers.CharField(allow_null=True, help_text="pass as ?after= to continue")
    has_more = serializers.BooleanField()


def subscription_json(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id, "agent_id": sub.agent_id, "label": sub.label, "event_types": list(sub.event_types),
        "callback_url": sub.callback_url, "http_method": sub.http_method, "auth_mode": sub.auth_mode,
        "active": sub.active, "disabled_reason": sub.disabled_reason or None, "disabled_at": sub.disabled_at,
        "failing_since": sub.failing_since, "consecutive_failures": sub.consecutive_failures,
        "previous_secret_expires_at": sub.previous_secret_expires_at if sub.previous_secret else None,
        "created_at": sub.created_at, "updated_at": sub.updated_at,
    }


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attempt_number": attempt.attempt_number, "attempted_at": attempt.attempted_at,
        "succeeded": attempt.succeeded, "response_status": attempt.response_status,
        "duration_ms": attempt.duration_ms, "error": attempt.error, "response_body": attempt.response_body,
    }


def delivery_json(delivery: Delivery, *, with_attempts: bool = True) -> dict[str, Any]:
    return {
        "id": delivery.id, "subscription_id": delivery.subscription_id, "event_id": delivery.event.public_id,
        "event_type": delivery.event.type, "status": delivery.status, "attempt_count": delivery.attempt_count,
        "next_attempt_at": delivery.next_attempt_at, "last_response_status": delivery.last_response_status,
        "last_error": delivery.last_error, "created_at": delivery.created_at,
        "attempts": [attempt_json(a) for a in delivery.attempts.all()] if with_attempts else [],
    }
