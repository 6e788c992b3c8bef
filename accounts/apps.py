from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension
        from .admin_forms import ThrottledAdminAuthenticationForm

        admin.site.login_form = ThrottledAdminAuthenticationForm  # the sign-in guessing throttle

        from .operator_group import sync_after_migrate

        # After every app's permissions exist (auth's own post_migrate receiver runs first).
        post_migrate.connect(sync_after_migrate, dispatch_uid="accounts.operator_group_sync")
