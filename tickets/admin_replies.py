"""Django admin for saved replies (the inbox's /ui-traffic/replies page edits the same rows)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from . import replies
from .models import SavedReply


class SavedReplyAdminForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ("title", "body", "set_status")
        help_texts = {
            "body": "Placeholders: " + ", ".join(f"{{{name}}} = {meaning}" for name, meaning in replies.PLACEHOLDERS.items()),
            "set_status": "Inserting this reply preselects this status in the reply box.",
        }


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    form = SavedReplyAdminForm
    list_display = ("title", "set_status", "created_by", "updated_at")
    list_filter = ("set_status",)
    search_fields = ("title", "body")
    list_select_related = ("created_by",)

    def save_model(self, request: HttpRequest, obj: SavedReply, form: Any, change: bool) -> None:
        # The ModelForm checks what the inbox's service checks (unique title, lengths, status choice).
        if not change:
            obj.created_by_id = request.user.pk
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
