from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import IdempotencyRecord, LedgerEntry, X402Payment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "agent", "kind", "amount_micros", "balance_after_micros", "reference", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("id", "reference", "agent__id", "agent__name")
    list_select_related = ("agent",)


@admin.register(X402Payment)
class X402PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "agent", "status", "payer", "amount_atomic", "transaction", "created_at")
    list_filter = ("status", "network")
    search_fields = ("id", "payer", "nonce", "transaction", "agent__id")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("agent", "key", "state", "response_status", "created_at")
    list_filter = ("state",)
