from django.apps import AppConfig


class DemoSessionsConfig(AppConfig):
    name = "demo_sessions"
    verbose_name = "Sessions and messages"  # Django admin's heading (was "Demo_Sessions")
    default_auto_field = "django.db.models.BigAutoField"
