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


def attachment_ids_field() -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=40), required=False, default=list, max_length=10,
        help_text="Ids (att_…) of your unattached uploads in this thread; each belongs to one message.",
    )


def unique_ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise serializers.ValidationError("Each attachment may be listed once.")
    return value


class MessageCreateIn(StrictSerializer):
    text = StrictCharField(max_length=10_000, help_text="1–10,000 characters.")
    attachments = attachment_ids_field()

    def validate_attachments(self, value: list[str]) -> list[str]:
        return unique_ids(value)


class AttachmentUploadIn(serializers.Serializer):
    file = serializers.FileField(help_text="One file; at most ATTACHMENT_MAX_BYTES (10 MiB by default).")


class SessionPageOut(serializers.Serializer):
    results = SessionOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)
