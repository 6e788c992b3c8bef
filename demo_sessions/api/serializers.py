from __future__ import annotations

from typing import Any

from rest_framework import serializers

from support_project.api.serializers import StrictCharField, StrictSerializer

from ..models import SessionKind
from ..serializers import SessionOut


class SessionListParams(StrictSerializer):
    kind = serializers.ChoiceField(choices=SessionKind.values, required=False)
    # The seed's word for the same filter (SPEC §10); both at once must agree.
    session_kind = serializers.ChoiceField(choices=SessionKind.values, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False, min_length=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind, alias = attrs.get("kind"), attrs.pop("session_kind", None)
        if alias is not None and kind is not None and alias != kind:
            raise serializers.ValidationError({"session_kind": ["Must match kind when both are given."]})
        if alias is not None:
            attrs["kind"] = alias
        return attrs


class SessionCreateIn(StrictSerializer):
    title = StrictCharField(single_line=True, max_length=200, required=False, allow_blank=True, default="")


class MessageCreateIn(StrictSerializer):
    text = StrictCharField(max_length=10_000, help_text="1–10,000 characters.")


class SessionPageOut(serializers.Serializer):
    results = SessionOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)
