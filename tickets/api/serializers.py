from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from support_project.api.serializers import StrictCharField, StrictSerializer

from ..models import Category, TicketStatus
from ..serializers import TicketOut

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class TicketCreateIn(StrictSerializer):
    category = serializers.ChoiceField(choices=Category.values)
    subject = StrictCharField(single_line=True, max_length=120, help_text="1–120 characters after trimming, one line.")
    body = StrictCharField(max_length=20_000, help_text="1–20,000 characters.")
    source_session_id = StrictCharField(required=False, allow_null=True, help_text="An enrich session of yours (32 hex).")

    def validate_source_session_id(self, value: str | None) -> str | None:
        if value is not None and not SESSION_ID.match(value):
            raise serializers.ValidationError("Must be a session id: 32 lowercase hex characters.")
        return value


class TicketRateIn(StrictSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (poor) to 5 (excellent).")
    comment = StrictCharField(required=False, allow_blank=True, max_length=2_000, help_text="Optional, ≤2,000 characters.")

    def to_internal_value(self, data: Any) -> Any:
        # A score is a JSON integer: not "5", not 4.5, not true.
        if isinstance(data, dict) and "score" in data and (
            not isinstance(data["score"], int) or isinstance(data["score"], bool)
        ):
            raise serializers.ValidationError({"score": ["Must be an integer from 1 to 5."]})
        return super().to_internal_value(data)


class TicketListParams(StrictSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.values, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


class TicketPageOut(serializers.Serializer):
    results = TicketOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class PaymentRequiredOut(serializers.Serializer):
    """The 402 body. AGENT_TOKEN_REQUIRED (no token) is the plain envelope; PAYMENT_REQUIRED adds the rest."""

    _ONLY_PAYMENT_REQUIRED = "Present when code is PAYMENT_REQUIRED."
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()
    billing_reason = serializers.CharField(required=False, help_text=_ONLY_PAYMENT_REQUIRED)
    price_usd = serializers.CharField(required=False, help_text=_ONLY_PAYMENT_REQUIRED)
    virtual_balance_usd = serializers.CharField(required=False, help_text=_ONLY_PAYMENT_REQUIRED)
    x402 = serializers.DictField(required=False, help_text=_ONLY_PAYMENT_REQUIRED)
    request_id = serializers.CharField()
