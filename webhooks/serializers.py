"""The one shape of a subscription, a delivery and an attempt: REST responses and the
`subscription.disabled` event payload render these."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Subscription


class SubscriptionRefOut(serializers.Serializer):
    # The subscription in brief: `data.subscription` of `subscription.disabled`.

    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the stubs' Field.label clashes with our field name
    callback_url = serializers.CharField()
    disabled_reason = serializers.SerializerMethodField()
    disabled_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_disabled_reason(self, sub: Subscription) -> str | None:
        return sub.disabled_reason or None  # "" (active) is null


class SubscriptionOut(SubscriptionRefOut):
    agent_id = serializers.CharField(allow_null=True, help_text="null for staff-scope subscriptions")
    event_types = serializers.ListField(child=serializers.CharField())
    http_method = serializers.CharField()
    auth_mode = serializers.CharField()
    active = serializers.BooleanField()
    failing_since = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    previous_secret_expires_at = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_previous_secret_expires_at(self, sub: Subscription) -> str | None:
        if not sub.previous_secret or sub.previous_secret_expires_at is None:
            return None
        return serializers.DateTimeField().to_representation(sub.previous_secret_expires_at)


class SubscriptionWithSecretOut(SubscriptionOut):
    # Create and rotate-secret: the subscription and its new secret (`context["signing_secret"]`).

    signing_secret = serializers.SerializerMethodField(help_text="ech_… — shown only in this response")

    def get_signing_secret(self, sub: Subscription) -> str:
        return str(self.context["signing_secret"])


class AttemptOut(serializers.Serializer):
    attempt_number = serializers.IntegerField()
    attempted_at = serializers.DateTimeField()
    succeeded = serializers.BooleanField()
    response_status = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()
    response_body = serializers.CharField(help_text="at most 2 KiB")


class DeliveryOut(serializers.Serializer):
    # Needs `event` joined and `attempts` prefetched (selectors.delivery_log) to stay query-free.

    id = serializers.CharField(help_text="also the webhook-id / X-411data-Delivery header")
    subscription_id = serializers.CharField()
    event_id = serializers.CharField(source="event.public_id")
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=["pending", "failed", "succeeded", "dead"])
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_response_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    attempts = AttemptOut(many=True, source="attempts.all")


class TestResultOut(serializers.Serializer):
    # POST …/test: reads the attempt it made.

    delivery_id = serializers.CharField()
    event_id = serializers.CharField(source="delivery.event.public_id")
    attempt = AttemptOut(source="*")
