"""Django admin for tickets: a read-only view with bounty actions.

Status, assignee, priority and replies change in the Support Inbox (/ui-traffic) or the staff API,
where the services keep the thread, counters and events in step; here nothing is edited (no change
permission, so no Save buttons, even for superusers). The bounty actions need the
`tickets.decide_bounty` permission (the "Support operators" group has it) and call the same
exactly-once service as the inbox and the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from billing.money import usd_str
from demo_sessions.models import Message
from support_project.domain import DomainError

from .bounty import CONFIRM, REJECT, bounty_decide
from .models import Ticket
from .search import ticket_timeline_for_staff
from .timeline import thread_with_events

PAYMENT_METHOD_LABELS = {"virtual_balance": "Virtual balance", "x402": "x402 payment (USDC)"}


def _transcript_line(item: Any) -> str:
    when = item.created_at.strftime("%Y-%m-%d %H:%M")
    if getattr(item, "is_timeline_event", False):
        return format_html("<em>[EVENT] {} · {}</em>", item.summary, when)
    return format_html("<strong>{}{}</strong> · {}<br>{}", item.author_name or item.author,
                       " [INTERNAL NOTE]" if item.internal else "", when, item.text)


class PaymentMethodFilter(admin.SimpleListFilter):
    title = "paid with"
    parameter_name = "payment_method"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(PAYMENT_METHOD_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        return queryset.filter(payment_method=self.value()) if self.value() else queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "category", "status", "priority", "agent", "assignee", "bounty_status",
                    "awaiting_operator", "message_count", "rating_score", "last_activity_at")
    list_display_links = ("number", "subject")
    list_filter = ("status", "category", "priority", "bounty_status", "awaiting_operator", PaymentMethodFilter,
                   "rating_score", ("assignee", admin.RelatedOnlyFieldListFilter))
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
        ("Billing and bounty", {"fields": ("charged", "paid_with", "bounty_status", "bounty_note",
                                           "bounty_decided_by", "bounty_decided_at")}),
        ("Customer rating", {"fields": ("rating_score", "rating_comment", "rated_at")}),
        ("Threads", {"fields": ("support_session", "source_session", "transcript")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for fs in self.fieldsets for f in fs[1]["fields"] if isinstance(f, str)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets are opened (and paid for) through the API or the chat

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only here: changes go through the Support Inbox's services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger references tickets

    def has_decide_bounty_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.decide_bounty")

    @admin.display(description="Charged")
    def charged(self, obj: Ticket) -> str:
        return f"${usd_str(obj.charged_micros)}"

    @admin.display(description="Paid with")
    def paid_with(self, obj: Ticket) -> str:
        return PAYMENT_METHOD_LABELS.get(obj.payment_method, obj.payment_method)

    @admin.display(description="Support Inbox")
    def inbox_link(self, obj: Ticket) -> str:
        return format_html('<a href="{}">Open #{} in the Support Inbox</a>',
                           reverse("inbox-ticket", args=[obj.number]), obj.number)

    @admin.display(description="Transcript (internal notes and timeline events marked)")
    def transcript(self, obj: Ticket) -> str:
        rows = list(Message.objects.filter(session_id=obj.support_session_id).order_by("created_at", "id"))
        items = thread_with_events(rows, ticket_timeline_for_staff(ticket=obj))
        return format_html('<ol class="admin-transcript">{}</ol>', format_html_join("", "<li>{}</li>", (
            (_transcript_line(item),) for item in items
        )))

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

    @admin.action(description="Confirm bug bounty (credit $1.00 once)", permissions=["decide_bounty"])
    def confirm_bounty(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._decide(request, queryset, CONFIRM)

    @admin.action(description="Reject bug bounty", permissions=["decide_bounty"])
    def reject_bounty(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._decide(request, queryset, REJECT)


# --- Saved replies (the inbox's canned answers): registered in their own module ---------------------
from .admin_replies import SavedReplyAdmin  # noqa: E402, F401
