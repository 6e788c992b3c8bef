"""Assistant, triage and operator messages are Markdown rendered by the shared, nh3-sanitised renderer:
in the API's `text_html` (what /demo shows) and in the /ui-traffic transcript. The customer's own text
is never rendered as HTML."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tickets.models import Ticket

pytestmark = pytest.mark.django_db

HOSTILE = 'report a bug: <script>alert(1)</script> [x](javascript:alert(1)) the ledger endpoint returns 500'


def test_the_inbox_renders_triage_as_markdown_and_escapes_the_customer(agent_a: Any, staff: Any) -> None:
    response = agent_a.client.post("/api/v1/demo/chat", {"message": HOSTILE}, format="json")
    assert response.status_code == 200
    body = response.json()
    [assistant] = [m for m in body["messages"] if m["author"] == "assistant"]
    assert '<a href="/cookbook/' in assistant["text_html"]
    assert "<script" not in assistant["text_html"] and "javascript:" not in assistant["text_html"]
    ticket = Ticket.objects.get()

    browser = Client()
    browser.force_login(staff.user)
    page = browser.get(f"/ui-traffic/tickets/{ticket.number}").content.decode()
    assert '<a href="/cookbook/' in page  # the triage bot's answer, rendered
    assert "<script>alert(1)</script>" not in page  # the customer's words never become HTML
    assert 'href="javascript:' not in page
