"""Django admin for tickets: a read-mostly view with bounty actions.

Status, assignee, priority and replies change in the Support Inbox (/ui-traffic) or the staff API,
where the services keep the thread, counters and events in step; here those fields are read-only.
The bounty actions call the same service as the inbox and the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from demo_sessions.models import Message
from support_project.domain import DomainError

from .bounty import CONFIRM, REJECT, bounty_decide
from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "category", "status", "priority", "agent", "assignee", "bounty_status",
                    "awaiting_operator", "message_count", "rating_score", "last_activity_at")
    list_display_links = ("number", "subject")
    list_filter = ("status", "category", "priority", "bounty_status", "awaiting_operator", "payment_method", "rating_score",
                   ("assignee", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=number", "=public_id", "subject", "agent__name", "=agent__id")
    list_select_related = ("agent", "assignee")
    autocomplete_fields = ("agent",)

    class Media:
        css = {"all": ("css/admin.css",)}
    raw_id_fields = ("support_session", "source_session")
    ordering = ("-last_activity_at", "-number")
    date_hierarchy = "created_at"
    actions = ["confirm_bounty", "reject_bounty"]
    fieldsets = (
        (None, {"fields": ("number", "public_id", "inbox_link", "agent", "category", "subject", "body")}),
        ("State", {"fields": ("status", "priority", "assignee", "awaiting_operator", "message_count",
                              "created_at", "updated_at", "last_activity_at")}),
        ("Billing and bounty", {"fields": ("charged_micros", "payment_method", "bounty_status", "bounty_note",
                                           "bounty_decided_by", "bounty_decided_at")}),
        ("Customer rating", {"fields": ("rating_score", "rating_comment", "rated_at")}),
        ("Threads", {"fields": ("support_session", "source_session", "transcript")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for fs in self.fieldsets for f in fs[1]["fields"] if isinstance(f, str)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets are opened (and paid for) through the API or the chat

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger references tickets

    @admin.display(description="Support Inbox")
    def inbox_link(self, obj: Ticket) -> str:
        return format_html('<a href="{}">Open #{} in the Support Inbox</a>',
                           reverse("inbox-ticket", args=[obj.number]), obj.number)

    @admin.display(description="Transcript (internal notes marked)")
    def transcript(self, obj: Ticket) -> str:
        rows = Message.objects.filter(session_id=obj.support_session_id).order_by("created_at", "id")
        return format_html(
            '<ol class="admin-transcript">{}</ol>',  # styled by css/admin.css: the CSP has no inline style
            format_html_join("", "<li><strong>{}{}</strong> · {}<br>{}</li>", (
                (m.author_name or m.author, " [INTERNAL NOTE]" if m.internal else "",
                 m.created_at.strftime("%Y-%m-%d %H:%M"), m.text)
                for m in rows
            )),
        )

    def _decide(self, request: HttpRequest, queryset: QuerySet[Ticket], decision: str) -> None:
        done = skipped = ineligible = failed = 0
        for ticket in queryset.order_by("number"):
            try:
                result = bounty_decide(ticket=ticket, staff_user=request.user, decision=decision)
            except DomainError as error:
                if error.code == "BOUNTY_NOT_ELIGIBLE":
                    ineligible += 1
                else:
                    failed += 1
                continue
            if result.changed:
                done += 1
            else:
                skipped += 1
        verb = "Confirmed and queued the credit for" if decision == CONFIRM else "Rejected"
        parts = [f"{verb} {done} bount{'y' if done == 1 else 'ies'}"]
        if skipped:
            parts.append(f"skipped {skipped} already {'confirmed or awarded' if decision == CONFIRM else 'rejected'}")
        if ineligible:
            parts.append(f"skipped {ineligible} not eligible (not bugs)")
        if failed:
            parts.append(f"refused {failed} already awarded")
        self.message_user(request, "; ".join(parts) + ".", messages.SUCCESS if not failed else messages.WARNING)

    @admin.action(description="Confirm bug bounty (credit $1.00 once)")
    def confirm_bounty(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._decide(request, queryset, CONFIRM)

    @admin.action(description="Reject bug bounty")
    def reject_bounty(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._decide(request, queryset, REJECT)


# --- Saved replies (the inbox's canned answers): registered in their own module ---------------------
from .admin_replies import SavedReplyAdmin  # noqa: E402, F401
