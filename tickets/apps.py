from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Customer messages in a support thread follow the ticket's status rules (SPEC §4.3).
        from demo_sessions.services import support_thread_poster_register

        from .services import support_thread_message_post

        support_thread_poster_register(support_thread_message_post)
