from django.apps import AppConfig


class DemoSessionsConfig(AppConfig):
    name = "demo_sessions"
    verbose_name = "Sessions and messages"  # Django admin's heading (was "Demo_Sessions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The live streams check a session's owner and kind through us (live sits below this app).
        from live.registry import register

        from .selectors import session_kind_for_agent

        register(session_kind=session_kind_for_agent)
