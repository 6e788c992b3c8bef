"""View tab counts: exact up to a cap, then "N+", one bounded query whatever the table size."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tickets import operators, queues

from .conftest import open_ticket

pytestmark = pytest.mark.django_db


def _tabs(html: str) -> dict[str, str]:
    return dict(re.findall(r'>\s*([\w ]+?)\s*<span class="tabs__count">([^<]+)</span>', html))


def test_tab_counts_are_exact_below_the_cap_and_capped_above(agent_a, staff, monkeypatch):
    tickets = [open_ticket(agent_a) for _ in range(3)]
    operators.ticket_update_by_staff(ticket=tickets[0], staff_user=staff.user, support_status="resolved")
    operators.ticket_update_by_staff(ticket=tickets[1], staff_user=staff.user, assignee="olivia")
    client = Client()
    client.force_login(staff.user)
    assert _tabs(client.get("/ui-traffic").content.decode()) == {
        "Needs reply": "2", "Mine": "1", "Unassigned": "1", "All": "3", "Closed": "1"}
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    assert _tabs(client.get("/ui-traffic").content.decode()) == {
        "Needs reply": "2+", "Mine": "1", "Unassigned": "1", "All": "2+", "Closed": "1"}


def test_counts_follow_the_filters(agent_a, staff):
    open_ticket(agent_a, category="bug")
    open_ticket(agent_a, category="billing", subject="Charged twice")
    everything = {"needs_reply": 2, "mine": 0, "unassigned": 2, "all": 2, "closed": 0}
    assert queues.ticket_queue_counts(staff_user=staff.user) == everything
    assert queues.ticket_queue_counts(staff_user=staff.user, category="billing") == {
        "needs_reply": 1, "mine": 0, "unassigned": 1, "all": 1, "closed": 0}
    assert queues.ticket_queue_counts(staff_user=staff.user, q="charged") == {
        "needs_reply": 1, "mine": 0, "unassigned": 1, "all": 1, "closed": 0}
    assert queues.ticket_queue_counts(staff_user=staff.user, status="closed") == {k: 0 for k in everything}


def test_a_status_outside_a_view_is_empty_without_asking_the_database(agent_a, staff, django_assert_num_queries):
    open_ticket(agent_a)
    with django_assert_num_queries(0):
        assert list(queues.ticket_queue_for_staff(queue="closed", status="open", staff_user=staff.user)) == []
        assert list(queues.ticket_queue_for_staff(queue="mine", status="resolved", staff_user=staff.user)) == []
    assert queues.ticket_queue_counts(staff_user=staff.user, status="open") == {
        "needs_reply": 1, "mine": 0, "unassigned": 1, "all": 1, "closed": 0}
