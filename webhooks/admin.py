"""Django admin for webhooks. Events and deliveries are records of what happened: read-only (no
Save buttons); redelivery goes through the API's service. Subscriptions keep their editable flags."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Delivery, Event, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "agent", "label", "callback_url", "active", "disabled_reason", "created_at")
    list_filter = ("active", "disabled_reason")
    search_fields = ("id", "label", "callback_url")
    # The signing secrets are credentials: never shown in the admin.
    exclude = ("signing_secret", "previous_secret", "bearer_token")
    readonly_fields = ("agent", "created_by", "failing_since", "consecutive_failures", "consecutive_dead")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "public_id", "type", "agent", "created_at", "fanned_out_at")
    list_filter = ("type",)
    search_fields = ("public_id",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "subscription", "event", "status", "attempt_count", "next_attempt_at")
    list_filter = ("status",)
    search_fields = ("id",)
