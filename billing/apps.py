from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Balance events on the live streams are money strings like every other `_usd` field.
        from live.registry import register

        from .money import usd_str

        register(usd=usd_str)
