from django.apps import AppConfig


class DemoSessionsConfig(AppConfig):
    name = "demo_sessions"
    default_auto_field = "django.db.models.BigAutoField"
