"""The ticket page: customer context beside the thread, readable threads (names, Markdown, links,
human labels), the action bar, and its pinned query count at two sizes."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from billing.models import LedgerEntry
from tests.conftest import make_agent
from tickets import bounty, context, operators
from tickets.models import Ticket

from .conftest import open_ticket

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"


@pytest.fixture
def browser_client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, css_class: str) -> str:
    return re.search(rf'<section class="card side-card {css_class}"(.*?)</section>', html, re.S).group(1)


def test_the_context_of_a_customer(agent_a, agent_b, staff, django_assert_num_queries):
    first = open_ticket(agent_a, subject="First")  # a bug
    second = open_ticket(agent_a, subject="Second", category="billing")
    rejected = open_ticket(agent_a, subject="Rejected bug")
    current = open_ticket(agent_a, subject="Current")
    open_ticket(agent_b, subject="Someone else's")
    bounty.bounty_decide(ticket=rejected, staff_user=staff.user, decision="reject")
    operators.ticket_update_by_staff(ticket=second, staff_user=staff.user, support_status="resolved")
    ticket = Ticket.objects.select_related("agent").get(pk=current.pk)
    with django_assert_num_queries(3):
        ctx = context.customer_context_for_staff(ticket=ticket)
    assert [(t.subject, t.status) for t in ctx.other_tickets] == [
        ("Rejected bug", "open"), ("Second", "resolved"), ("First", "open")]
    assert ctx.other_tickets_more is False
    assert ctx.balance_micros == 160_000 and ctx.first_seen == agent_a.agent.created_at
    assert [(e.kind, e.amount_micros) for e in ctx.ledger] == [
        ("ticket_charge", -10_000)] * 4 + [("grant", 200_000)]
    assert ctx.bounties.by_status == {"pending_review": 2, "rejected": 1}
    assert ctx.bounties.rows() == [("pending_review", "Pending Review", 2), ("rejected", "Rejected", 1)]
    assert ctx.bounties.awarded_micros == 0
    assert first.number


def test_context_caps_other_tickets_and_ledger_entries(staff):
    busy = make_agent("Busy", grant_micros=1_000_000)
    tickets = [open_ticket(busy, subject=f"T{i}") for i in range(8)]
    ticket = Ticket.objects.select_related("agent").get(pk=tickets[0].pk)
    ctx = context.customer_context_for_staff(ticket=ticket)
    assert [t.subject for t in ctx.other_tickets] == ["T7", "T6", "T5", "T4", "T3"]
    assert ctx.other_tickets_more is True
    assert len(ctx.ledger) == context.LEDGER_ENTRIES


def test_the_page_shows_the_customer_context(agent_a, staff, browser_client):
    older = open_ticket(agent_a, subject="An older bug")
    ticket = open_ticket(agent_a, category="billing", subject="Charged twice")
    bounty.bounty_decide(ticket=older, staff_user=staff.user, decision="reject")
    older.refresh_from_db()
    raw = _html(browser_client, f"{INBOX}/tickets/{ticket.number}")
    html, card = unescape(raw), unescape(_section(raw, "customer-card"))
    assert "Alice's agent" in card and agent_a.agent.id in card
    assert re.search(r'<dd class="balance">\$0\.\d\d</dd>', card)
    assert "First seen" in card
    assert f"#{older.number} An older bug" in card
    assert "Ticket charge" in card and "−$0.01" in card and "Starting grant" in card and "+$0.20" in card
    assert "1 rejected" in card
    assert "Paid with</dt><dd>Virtual balance</dd>" in html
    assert "virtual_balance" not in html


def test_operator_names_markdown_and_links_in_the_thread(agent_a, browser_client, django_user_model):
    ticket = open_ticket(agent_a, body="Export fails, see https://example.com/logs?id=7 and **this**:\n\n```\ntrace\n```")
    bare = django_user_model.objects.create_user(username="operator", is_staff=True)
    operators.ticket_reply(ticket=ticket, staff_user=bare, text="Try [the guide](https://docs.example.com/x).")
    html = _html(browser_client, f"{INBOX}/tickets/{ticket.number}")
    assert '<a href="https://example.com/logs?id=7" rel="nofollow noopener noreferrer">' in html
    assert "<strong>this</strong>" in html and "<pre><code>trace\n</code></pre>" in html
    assert '<a href="https://docs.example.com/x" rel="nofollow noopener noreferrer">the guide</a>' in html
    heads = re.findall(r'<span class="msg__author">([^<]+)</span>\s*(?:<span class="msg__role">([^<]+)</span>)?', html)
    assert heads == [("Customer", ""), ("operator", "Staff")]
    assert "operator (operator)" not in html and ">operator</span>\n    <span class=\"msg__role\">operator" not in html


def test_the_action_bar(agent_a, staff, browser_client):
    ticket = open_ticket(agent_a)
    html = _html(browser_client, f"{INBOX}/tickets/{ticket.number}")
    bar = re.search(r'<div class="action-bar"(.*?)\n</div>', html, re.S).group(1)
    assert 'href="#composer-h"' in bar
    assert 'name="assignee" value="olivia"' in bar
    assert 'name="support_status" value="resolved"' in bar
    operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, support_status="closed")
    html = _html(browser_client, f"{INBOX}/tickets/{ticket.number}")
    assert "data-key-resolve" not in html and 'name="resolve"' not in html  # closed → open only


@pytest.mark.parametrize("size", [1, 30])
def test_the_ticket_page_runs_a_fixed_number_of_queries_at_two_sizes(staff, browser_client, django_assert_num_queries,
                                                                      size):
    payer = make_agent("Busy", grant_micros=20_000 * size + 100_000)
    tickets = [open_ticket(payer, subject=f"T{i}") for i in range(size)]
    ticket = tickets[-1]
    for i in range(size):
        operators.ticket_reply(ticket=ticket, staff_user=staff.user, text=f"note {i}", internal=i % 2 == 0)
    for t in tickets[: size // 2]:
        bounty.bounty_decide(ticket=t, staff_user=staff.user, decision="reject")
    assert LedgerEntry.objects.filter(agent_id=payer.agent.id).count() == size + 1
    # session, user, ticket (+agent, assignee, decider, source chat), thread (+ its attachments),
    # timeline (+actors), staff list, saved replies, customer context: other tickets, ledger
    # entries, bounty history
    with django_assert_num_queries(11):
        _html(browser_client, f"{INBOX}/tickets/{ticket.number}")
