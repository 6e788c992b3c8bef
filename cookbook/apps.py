from django.apps import AppConfig


class CookbookConfig(AppConfig):
    name = "cookbook"
    default_auto_field = "django.db.models.BigAutoField"
