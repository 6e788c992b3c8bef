from __future__ import annotations

from rest_framework import serializers

from support_project.api.serializers import StrictCharField, StrictSerializer

from ..models import SessionKind
from ..serializers import SessionOut


class SessionListParams(StrictSerializer):
    kind = serializers.ChoiceField(choices=SessionKind.values, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


class SessionCreateIn(StrictSerializer):
    title = StrictCharField(single_line=True, max_length=200, required=False, allow_blank=True, default="")


class MessageCreateIn(StrictSerializer):
    text = StrictCharField(max_length=10_000, help_text="1–10,000 characters.")


class SessionPageOut(serializers.Serializer):
    results = SessionOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)
