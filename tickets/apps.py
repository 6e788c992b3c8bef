from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Customer messages in a support thread follow the ticket's status rules (SPEC §4.3).
        from demo_sessions.services import support_thread_poster_register

        from .services import support_thread_message_post

        support_thread_poster_register(support_thread_message_post)

        # The staff live stream narrowed to one ticket (`?ticket=N`) finds it through us.
        from live.registry import register

        from .selectors import ticket_thread_ref

        register(ticket=ticket_thread_ref)
