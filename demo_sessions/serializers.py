"""The one shape of a session and of a message, for REST, the agent's tools and webhook payloads."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import SessionKind

RENDERED_AUTHORS = frozenset({"assistant", "triage_bot", "operator", "system"})


class AttachmentOut(serializers.Serializer):
    # A file's metadata (never its bytes): the upload's 201, every message's `attachments`, and
    # `support.message_created` payloads. Bytes: GET /api/v1/attachments/{id}.

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
    text_html = serializers.SerializerMethodField(
        help_text="Assistant, triage, operator and system messages: the text as Markdown rendered to sanitised HTML "
                  "(support_project.rendering, nh3). null for the customer's own text, which is shown as typed.")
    created_at = serializers.DateTimeField()
    metadata = serializers.DictField()
    # The message's files in upload order (`Attachment.Meta.ordering`); prefetch "attachments" for lists.
    attachments = AttachmentOut(many=True, read_only=True)

    def get_text_html(self, message: Any) -> str | None:
        from support_project.rendering import render_markdown

        return render_markdown(message.text) if message.author in RENDERED_AUTHORS else None


class SupportRefOut(serializers.Serializer):
    # A support thread's ticket, in brief; null for enrich chats. Reads the session (source="*").

    ticket_id = serializers.CharField(source="public_id")
    number = serializers.IntegerField()
    support_status = serializers.CharField(source="status")

    def to_representation(self, instance: Any) -> Any:
        # The reverse one-to-one from tickets, by name: this app does not import tickets.
        ticket = getattr(instance, "ticket", None) if instance.session_kind == SessionKind.SUPPORT else None
        return None if ticket is None else super().to_representation(ticket)


class SessionOut(serializers.Serializer):
    id = serializers.CharField()
    session_kind = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    last_message_preview = serializers.CharField()
    support = SupportRefOut(source="*", allow_null=True)


class SessionDetailOut(SessionOut):
    messages = MessageOut(many=True)
