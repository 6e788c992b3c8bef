"""Serializer base for request bodies: unknown fields are errors, never silently dropped (SPEC §1)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from support_project.domain import InvalidInput


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


def validate_query(serializer_class: type[serializers.Serializer], params: Any) -> dict[str, Any]:
    """Validate query parameters; the error names them ("Invalid query parameter: limit.")."""
    serializer = serializer_class(data=params.dict() if hasattr(params, "dict") else dict(params))
    if serializer.is_valid():
        return dict(serializer.validated_data)
    errors = serializer.errors
    names = ", ".join(str(name) for name in errors)
    raise InvalidInput(
        f"Invalid query parameter{'s' if len(errors) > 1 else ''}: {names}.",
        details={str(name): [str(reason) for reason in reasons] for name, reasons in errors.items()},
    )


class StrictCharField(serializers.CharField):
    """A string, never a number coerced to one; no NUL or other C0 controls except tab/newline."""

    def __init__(self, *, single_line: bool = False, **kwargs: Any) -> None:
        self.single_line = single_line
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        allowed = set() if self.single_line else {"\n", "\t", "\r"}
        if any((ord(ch) < 32 or ord(ch) == 127) and ch not in allowed for ch in data):
            raise serializers.ValidationError(
                "Must be a single line without control characters." if self.single_line
                else "Must not contain control characters."
            )
        return super().to_internal_value(data)


def reject_body(data: Any) -> None:
    """For POSTs that take no body: anything sent is an error, not silently ignored."""
    if not data:
        return
    if isinstance(data, dict):
        raise serializers.ValidationError({name: ["Unknown field."] for name in data})
    raise serializers.ValidationError({"non_field_errors": ["This endpoint takes no body."]})
