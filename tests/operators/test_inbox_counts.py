"""Status tab counts: exact up to a cap, then "N+", one bounded query whatever the table size."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tickets import search
from tickets.models import Ticket

from .conftest import open_ticket

pytestmark = pytest.mark.django_db


def _tabs(html: str) -> dict[str, str]:
    return dict(re.findall(r'>\s*(\w+)\s*<span class="tabs__count">([^<]+)</span>', html))


def test_tab_counts_are_exact_below_the_cap_and_capped_above(agent_a, staff, monkeypatch):
    for _ in range(3):
        open_ticket(agent_a)
    Ticket.objects.filter(pk=Ticket.objects.order_by("pk").first().pk).update(status="resolved")
    client = Client()
    client.force_login(staff.user)
    assert _tabs(client.get("/ui-traffic").content.decode()) == {
        "All": "3", "Open": "2", "Pending": "0", "Resolved": "1", "Closed": "0"}
    monkeypatch.setattr(search, "STATUS_COUNT_CAP", 2)
    assert _tabs(client.get("/ui-traffic").content.decode()) == {
        "All": "3+", "Open": "2+", "Pending": "0", "Resolved": "1", "Closed": "0"}


def test_counts_follow_the_filters(agent_a):
    open_ticket(agent_a, category="bug")
    open_ticket(agent_a, category="billing", subject="Charged twice")
    assert search.ticket_status_counts() == {"open": 2}
    assert search.ticket_status_counts(category="billing") == {"open": 1}
    assert search.ticket_status_counts(q="charged") == {"open": 1}
