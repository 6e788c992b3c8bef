from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.operator_group import staff_user_make_operator
from accounts.services import staff_token_create


class Command(BaseCommand):
    help = ("Issue a staff token (411s_…) for a Django staff user; --create makes the user if missing, "
            "in the 'Support operators' group.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", required=True)
        parser.add_argument("--create", action="store_true", help="create the staff user if it doesn't exist")
        parser.add_argument("--password", default=None, help="password for a user created with --create")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(username=options["user"]).first()
        password = None
        if user is None:
            if not options["create"]:
                raise CommandError(f"no user {options['user']!r}; pass --create to make a staff user")
            password = options["password"] or secrets.token_urlsafe(12)
            user = User.objects.create_user(username=options["user"], password=password, is_staff=True)
            staff_user_make_operator(user=user)  # what an operator may do in Django admin
        elif not user.is_staff:
            raise CommandError(f"{user.username} is not a staff user")
        _, token = staff_token_create(user=user)
        result: dict[str, Any] = {"user": user.username, "token": token}
        if password and not options["password"]:
            result["password"] = password
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"staff token for {user.username} (shown once): {token}")
            if "password" in result:
                self.stdout.write(f"password for {user.username}: {password}")
