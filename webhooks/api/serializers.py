"""Request bodies (strict: unknown fields are 400) and response pages for event callbacks; the
objects' shapes are in webhooks/serializers.py."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from support_project.api.serializers import StrictSerializer

from ..models import SUBSCRIBABLE_EVENT_TYPES, AuthMode
from ..serializers import DeliveryOut, SubscriptionOut


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
    label = _NoControlChars(max_length=120, required=False, allow_blank=True, default="")  # type: ignore[assignment]
    event_types = _event_types_field(required=True)
    callback_url = _NoControlChars(max_length=2048)
    http_method = serializers.ChoiceField(choices=["POST"], required=False, default="POST")
    auth_mode = serializers.ChoiceField(choices=AuthMode.values, required=False, default=AuthMode.HMAC)
    bearer_token = _NoControlChars(max_length=512, required=False, allow_blank=True, default="")


class SubscriptionUpdateIn(StrictSerializer):
    label = _NoControlChars(max_length=120, required=False, allow_blank=True)  # type: ignore[assignment]
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


class SubscriptionPage(serializers.Serializer):
    results = SubscriptionOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class DeliveryPage(serializers.Serializer):
    results = DeliveryOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class EventFeedOut(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField(), help_text="event envelopes, oldest first")
    next_cursor = serializers.CharField(allow_null=True, help_text="pass as ?after= to continue")
    has_more = serializers.BooleanField()
