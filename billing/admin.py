from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from billing.money import usd_str

from .models import IdempotencyRecord, LedgerEntry, X402Payment


def _signed_usd(micros: int) -> str:
    return f"{'-' if micros < 0 else '+'}${usd_str(abs(micros))}"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "agent", "kind", "amount", "balance_after", "reference", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("id", "reference", "agent__id", "agent__name")
    list_select_related = ("agent",)
    exclude = ("amount_micros", "balance_after_micros")
    readonly_fields = ("amount", "balance_after")

    @admin.display(description="Amount", ordering="amount_micros")
    def amount(self, obj: LedgerEntry) -> str:
        return _signed_usd(obj.amount_micros)

    @admin.display(description="Balance after", ordering="balance_after_micros")
    def balance_after(self, obj: LedgerEntry) -> str:
        return f"${usd_str(obj.balance_after_micros)}"


@admin.register(X402Payment)
class X402PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "agent", "status", "payer", "amount_atomic", "transaction", "created_at")
    list_filter = ("status", "network")
    search_fields = ("id", "payer", "nonce", "transaction", "agent__id")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("agent", "key", "state", "response_status", "created_at")
    list_filter = ("state",)
