from django.apps import AppConfig


class AgentConfig(AppConfig):
    """The Enrich Agent chat, the tool registry and its MCP server: front ends above `tickets`."""

    name = "agent"
    default_auto_field = "django.db.models.BigAutoField"
