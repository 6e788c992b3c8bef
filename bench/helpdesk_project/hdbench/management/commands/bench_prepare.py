"""Prepare the helpdesk database for the benchmark and count SQL per ticket create.

Creates a staff superuser with a DRF token and one queue, opens a few tickets through the REST API
in-process (django.test.Client) under CaptureQueriesContext, and prints one JSON object:
{"token", "body", "sql": {"statements", "transaction_control", "sql": [...]}}.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from helpdesk.models import Queue
from rest_framework.authtoken.models import Token

TICKETS_PATH = "/helpdesk/api/tickets/"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--subject", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument("--submitter-email", default="agent@example.com")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password-unused")
        token = Token.objects.create(user=user)
        queue = Queue.objects.create(title="Support", slug="support", email_address="support@example.com")
        body = {"queue": queue.id, "title": options["subject"], "description": options["body"],
                "submitter_email": options["submitter_email"], "priority": 3}

        client = Client()
        for _ in range(3):  # report the last call: one-off work (content types, first connection) excluded
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(TICKETS_PATH, data=json.dumps(body), content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Token {token.key}")
            if response.status_code != 201:
                raise SystemExit(f"{TICKETS_PATH} answered {response.status_code}: {response.content[:800]!r}")
        statements = [q["sql"] for q in ctx.captured_queries]
        sql = {
            "statements": len(statements),
            "transaction_control": sum(1 for s in statements if s.split()[0].upper() in TRANSACTION_CONTROL),
            "sql": [s if len(s) <= 300 else s[:300] + "…" for s in statements],
        }
        self.stdout.write(json.dumps({"token": token.key, "body": body, "sql": sql}))
