"""Django admin for demo sessions (enrich chats, support threads) and their messages. Read-only:
messages are written by the chat, the customer API and the operators' services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .attachments.files import human_size
from .models import Attachment, DemoSession, Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("created_at", "author", "author_name", "internal", "text")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DemoSession)
class DemoSessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "session_kind", "title", "agent", "last_activity_at", "created_at")
    list_filter = ("session_kind",)
    search_fields = ("=id", "title", "agent__name", "=agent__id")
    list_select_related = ("agent",)
    autocomplete_fields = ("agent",)
    ordering = ("-last_activity_at", "-id")
    date_hierarchy = "last_activity_at"
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "author", "author_name", "internal", "session", "created_at", "short_text")
    list_filter = ("author", "internal", "session__session_kind")
    search_fields = ("=id", "text", "author_name", "=session__id")
    list_select_related = ("session",)
    raw_id_fields = ("session",)
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    @admin.display(description="Text")
    def short_text(self, obj: Message) -> str:
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Files in support threads. Bytes are served only through the staff download route."""

    list_display = ("id", "filename", "content_type", "human_size", "uploader", "staff_only", "session", "message",
                    "created_at", "download")
    list_filter = ("uploader", "content_type", ("message", admin.EmptyFieldListFilter))
    search_fields = ("=id", "filename", "=sha256", "=session__id", "=message__id", "=agent__id")
    list_select_related = ("session", "message")
    raw_id_fields = ("agent", "session", "message", "staff_user")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    @admin.display(description="Size", ordering="size")
    def human_size(self, obj: Attachment) -> str:
        return human_size(obj.size)

    @admin.display(description="Staff only", boolean=True)
    def staff_only(self, obj: Attachment) -> bool:
        """On an internal note, or an operator's upload not yet on a message."""
        return obj.message.internal if obj.message is not None else obj.uploader == "staff"

    @admin.display(description="File")
    def download(self, obj: Attachment) -> str:
        return format_html('<a href="{}">download</a>', reverse("inbox-attachment", args=[obj.id]))
