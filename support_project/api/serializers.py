"""Serializer base for request bodies: unknown fields are errors, never silently dropped (SPEC §1)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def validate_body(serializer_class: type[serializers.Serializer], data: Any, **context: Any) -> dict[str, Any]:
    """Validate a request body and return its clean data, raising the 400 envelope on failure."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
