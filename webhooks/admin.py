from django.contrib import admin

from .models import Delivery, Event, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "agent", "label", "callback_url", "active", "disabled_reason", "created_at")
    list_filter = ("active", "disabled_reason")
    search_fields = ("id", "label", "callback_url")
    # The signing secrets are credentials: never shown in the admin.
    exclude = ("signing_secret", "previous_secret", "bearer_token")
    readonly_fields = ("agent", "created_by", "failing_since", "consecutive_failures", "consecutive_dead")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("seq", "public_id", "type", "agent", "created_at", "fanned_out_at")
    list_filter = ("type",)
    search_fields = ("public_id",)
    readonly_fields = ("public_id", "type", "agent", "envelope", "created_at", "fanned_out_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "subscription", "event", "status", "attempt_count", "next_attempt_at")
    list_filter = ("status",)
    search_fields = ("id",)
    readonly_fields = ("event", "subscription", "attempt_count", "last_attempt_at", "last_response_status", "last_error")
