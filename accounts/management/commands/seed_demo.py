"""The local default's demo data: a demo agent and a staff user, tokens printed (and saved locally)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.operator_group import staff_user_make_operator
from accounts.services import agent_create, staff_token_create
from billing.money import usd_str


class Command(BaseCommand):
    help = "Create the demo agent (with $0.20) and the staff user 'operator'; print their tokens."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--out", default=str(settings.BASE_DIR / ".demo-tokens.json"),
                            help="where to save the tokens for the local run (git-ignored)")

    def handle(self, *args: Any, **options: Any) -> None:
        agent, agent_token = agent_create(name="Demo agent")
        User = get_user_model()
        user, created = User.objects.get_or_create(username="operator", defaults={"is_staff": True})
        if created:
            user.set_password("operator-demo")
            user.save(update_fields=["password"])
        staff_user_make_operator(user=user)  # Django admin: tickets, bounties, agents (read-only)
        _, staff_token = staff_token_create(user=user)
        result = {
            "agent_id": agent.id, "agent_token": agent_token, "virtual_balance_usd": usd_str(agent.balance_micros),
            "staff_user": user.username, "staff_password": "operator-demo" if created else "(unchanged)",
            "staff_token": staff_token,
        }
        Path(options["out"]).write_text(json.dumps(result, indent=2))
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready (tokens saved to {options['out']}):"))
        for name, value in result.items():
            self.stdout.write(f"  {name:20} {value}")
