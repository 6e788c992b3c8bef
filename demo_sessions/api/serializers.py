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


class MessageCreateIn(StrictSerializer):
    text = StrictCharField(max_length=10_000, help_text="1–10,000 characters.")


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


class MessageOut(serializers.Serializer):
    id = serializers.CharField()
    author = serializers.CharField()
    author_name = serializers.CharField()
    text = serializers.CharField()
    text_html = serializers.CharField(allow_null=True, help_text="Assistant, triage, operator and system messages: "
                                      "the text as sanitised HTML (Markdown rendered, nh3-cleaned). null for user text.")
    created_at = serializers.DateTimeField()
    metadata = serializers.DictField()


class SessionDetailOut(SessionOut):
    messages = MessageOut(many=True)
