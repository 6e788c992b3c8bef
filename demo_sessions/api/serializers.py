from __future__ import annotations

from rest_framework import serializers

from support_project.api.serializers import StrictCharField, StrictSerializer

from ..models import SessionKind


class SessionListParams(StrictSerializer):
    kind = serializers.ChoiceField(choices=SessionKind.values, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


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


class SupportRefOut(serializers.Serializer):
    ticket_id = serializers.CharField()
    number = serializers.IntegerField()
    support_status = serializers.CharField()


class SessionOut(serializers.Serializer):
    id = serializers.CharField()
    session_kind = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    last_message_preview = serializers.CharField()
    support = SupportRefOut(allow_null=True)


class SessionPageOut(serializers.Serializer):
    results = SessionOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class AttachmentOut(serializers.Serializer):
    id = serializers.CharField(help_text="att_…")
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="Allow-listed type, else application/octet-stream.")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()


class MessageOut(serializers.Serializer):
    id = serializers.CharField()
    author = serializers.CharField()
    author_name = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    metadata = serializers.DictField()
    attachments = AttachmentOut(many=True)


class SessionDetailOut(SessionOut):
    messages = MessageOut(many=True)


class AttachmentUploadIn(serializers.Serializer):
    file = serializers.FileField(help_text="One file; at most ATTACHMENT_MAX_BYTES (10 MiB by default).")
