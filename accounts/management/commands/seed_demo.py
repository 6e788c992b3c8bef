"""The local default's demo data: a demo agent and a staff user, tokens printed (and saved locally).

`--reuse` (what `bin/run` calls): when the saved tokens still work, print them with the agent's
*live* balance instead of creating new ones; otherwise seed afresh.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.models import Agent
from accounts.selectors import principal_for_token
from accounts.services import agent_create, staff_token_create
from billing.money import usd_str


class Command(BaseCommand):
    help = "Create the demo agent (with $0.20) and the staff user 'operator'; print their tokens."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--out", default=str(settings.BASE_DIR / ".demo-tokens.json"),
                            help="where to save the tokens for the local run (git-ignored)")
        parser.add_argument("--reuse", action="store_true",
                            help="if the saved tokens still work, print them (with the live balance) instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reuse"] and self._show_saved(Path(options["out"]), as_json=options["json"]):
            return
        agent, agent_token = agent_create(name="Demo agent")
        User = get_user_model()
        user, created = User.objects.get_or_create(username="operator", defaults={"is_staff": True})
        if created:
            user.set_password("operator-demo")
            user.save(update_fields=["password"])
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

    def _show_saved(self, path: Path, *, as_json: bool) -> bool:
        """Print the saved tokens with the live balance; False when there are none or they no longer work."""
        try:
            saved = json.loads(path.read_text())
            agent_token, staff_token = saved["agent_token"], saved["staff_token"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        principal = principal_for_token(raw_token=agent_token)
        if principal is None or principal.agent is None or principal_for_token(raw_token=staff_token) is None:
            return False
        balance = Agent.objects.values_list("balance_micros", flat=True).get(id=principal.agent.id)
        result = {**saved, "agent_id": principal.agent.id, "virtual_balance_usd": usd_str(balance)}
        if as_json:
            self.stdout.write(json.dumps(result))
            return True
        self.stdout.write(self.style.SUCCESS(f"Demo data already seeded (tokens in {path}; live balance):"))
        for name, value in result.items():
            self.stdout.write(f"  {name:20} {value}")
        return True
