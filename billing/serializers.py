"""Money in response shapes: integer micro-USD in, the SPEC's `"0.01"` decimal string out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from .money import usd_str


class UsdField(serializers.CharField):
    """Read-only: an integer micro-USD attribute rendered as a USD decimal string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return usd_str(value)


@extend_schema_serializer(component_name="LedgerEntry")
class LedgerEntryOut(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    amount_usd = UsdField(source="amount_micros", read_only=False)
    amount_micros = serializers.IntegerField()
    balance_after_usd = UsdField(source="balance_after_micros", read_only=False)
    reference = serializers.CharField()
    memo = serializers.CharField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="LedgerPage")
class LedgerPageOut(serializers.Serializer):
    results = LedgerEntryOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="Topup")
class TopupOut(serializers.Serializer):
    # 201 of POST /api/v1/agents/topup (billing/topup.py): the credit booked for one x402 payment.

    amount_usd = UsdField(source="amount_micros", read_only=False)
    payment_method = serializers.CharField(default="x402")
    payment_id = serializers.CharField()
    ledger_entry_id = serializers.CharField(source="id")
    virtual_balance_usd = UsdField(source="balance_after_micros", read_only=False)
    network = serializers.CharField()
    transaction = serializers.CharField()
    payer = serializers.CharField()
    created_at = serializers.DateTimeField()
