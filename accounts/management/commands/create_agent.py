from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.services import agent_create
from billing.money import parse_usd, usd_str
from support_project.domain import DomainError


class Command(BaseCommand):
    help = "Create an agent with an admin bearer token (printed once) and a starting grant."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--grant-usd", default=None, help='starting virtual USD, e.g. "0.20" (default: the setting)')
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        grant = None
        if options["grant_usd"] is not None:
            try:
                grant = parse_usd(options["grant_usd"])
            except ValueError as exc:
                raise CommandError(f"--grant-usd: {exc}") from exc
        try:
            agent, token = agent_create(name=options["name"], grant_micros=grant)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details}") from exc
        result = {"agent_id": agent.id, "name": agent.name, "token": token,
                  "virtual_balance_usd": usd_str(agent.balance_micros)}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"agent {agent.id} ({agent.name}), balance ${result['virtual_balance_usd']}")
            self.stdout.write(f"admin bearer (shown once): {token}")
