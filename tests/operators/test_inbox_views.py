"""Inbox views: Needs reply (default, oldest wait first, waiting time), Mine, Unassigned, All, Closed;
each operator's saved views; the "waiting since" clock kept by the message service."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from demo_sessions.models import Message
from tests.conftest import make_agent
from tickets import operators, queues
from tickets.models import SavedView, Ticket

from .conftest import open_ticket

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"


def _rows(html: str) -> list[str]:
    return [unescape(s) for s in re.findall(r'<a href="/ui-traffic/tickets/\d+" class="inbox-row__link">([^<]*)</a>', html)]


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def browser_client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def _customer_writes(persona, ticket: Ticket, text: str = "Any news?") -> None:  # type: ignore[no-untyped-def]
    response = persona.client.post(f"/api/v1/demo/sessions/{ticket.support_session_id}/messages", {"text": text},
                                   format="json")
    assert response.status_code == 201, response.content


def _age(ticket: Ticket, *, hours: int) -> None:
    """Pretend the customer started waiting `hours` ago (tests don't sleep)."""
    Ticket.objects.filter(pk=ticket.pk).update(awaiting_since=timezone.now() - timedelta(hours=hours))


def test_the_waiting_clock_starts_at_the_first_unanswered_message_and_stops_at_an_answer(agent_a, staff):
    ticket = open_ticket(agent_a)
    ticket.refresh_from_db()
    opened = ticket.awaiting_since
    assert (ticket.awaiting_operator, opened) == (True, ticket.created_at)
    _customer_writes(agent_a, ticket, "Second message while waiting")
    ticket.refresh_from_db()
    assert ticket.awaiting_since == opened  # still the first unanswered message
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Internal only", internal=True)
    ticket.refresh_from_db()
    assert (ticket.awaiting_operator, ticket.awaiting_since) == (True, opened)  # a note answers nobody
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Looking into it")
    ticket.refresh_from_db()
    assert (ticket.awaiting_operator, ticket.awaiting_since) == (False, None)
    _customer_writes(agent_a, ticket, "Still broken")
    ticket.refresh_from_db()
    assert ticket.awaiting_operator is True and ticket.awaiting_since > opened
    operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, support_status="resolved")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.awaiting_operator, ticket.awaiting_since) == ("resolved", False, None)


def test_needs_reply_is_the_default_oldest_wait_first_with_the_waiting_time(agent_a, agent_b, staff, browser_client):
    recent = open_ticket(agent_a, subject="Recent question")
    oldest = open_ticket(agent_b, subject="Oldest question")
    middle = open_ticket(agent_a, subject="Middle question")
    answered = open_ticket(agent_b, subject="Answered already")
    _age(recent, hours=1)
    _age(oldest, hours=50)
    _age(middle, hours=5)
    operators.ticket_reply(ticket=answered, staff_user=staff.user, text="Done")
    html = _page(browser_client, INBOX)
    assert _rows(html) == ["Oldest question", "Middle question", "Recent question"]
    assert 'aria-current="page">\n    Needs reply' in html
    waits = re.findall(r'<time class="waiting" [^>]*>waiting ([^<]+)</time>', html)
    assert waits == ["2\xa0days, 2\xa0hours", "5\xa0hours", "1\xa0hour"]
    assert _rows(_page(browser_client, f"{INBOX}?view=needs_reply")) == _rows(html)


def test_mine_unassigned_all_and_closed(agent_a, staff, browser_client, django_user_model):
    other = django_user_model.objects.create_user(username="sam", is_staff=True)
    mine = open_ticket(agent_a, subject="Mine, open")
    theirs = open_ticket(agent_a, subject="Sam's, open")
    nobody = open_ticket(agent_a, subject="Nobody's, pending")
    done_mine = open_ticket(agent_a, subject="Mine, resolved")
    closed = open_ticket(agent_a, subject="Closed one")
    operators.ticket_update_by_staff(ticket=mine, staff_user=staff.user, assignee="olivia")
    operators.ticket_update_by_staff(ticket=theirs, staff_user=staff.user, assignee=other.username)
    operators.ticket_reply(ticket=nobody, staff_user=staff.user, text="Waiting on you")
    operators.ticket_update_by_staff(ticket=done_mine, staff_user=staff.user, assignee="olivia",
                                     support_status="resolved")
    operators.ticket_update_by_staff(ticket=closed, staff_user=staff.user, support_status="closed")
    assert _rows(_page(browser_client, f"{INBOX}?view=mine")) == ["Mine, open"]
    assert _rows(_page(browser_client, f"{INBOX}?view=unassigned")) == ["Nobody's, pending"]
    assert _rows(_page(browser_client, f"{INBOX}?view=closed")) == ["Closed one", "Mine, resolved"]
    assert _rows(_page(browser_client, f"{INBOX}?view=closed&status=closed")) == ["Closed one"]
    assert _rows(_page(browser_client, f"{INBOX}?view=all")) == [  # a reply is activity; a status change isn't
        "Nobody's, pending", "Closed one", "Mine, resolved", "Sam's, open", "Mine, open"]
    assert _rows(_page(browser_client, INBOX)) == ["Mine, open", "Sam's, open"]
    # Another operator's "Mine" is theirs.
    sam = Client()
    sam.force_login(other)
    assert _rows(_page(sam, f"{INBOX}?view=mine")) == ["Sam's, open"]


def test_an_empty_needs_reply_says_so(staff, browser_client):
    assert "Nobody is waiting for a reply." in _page(browser_client, INBOX)


# --- saved views -------------------------------------------------------------------------------------


def test_an_operator_saves_opens_and_deletes_a_view(agent_a, staff, browser_client):
    open_ticket(agent_a, subject="A bug")
    open_ticket(agent_a, subject="A billing question", category="billing")
    response = browser_client.post(f"{INBOX}/views", {"name": "  Billing   queue ", "view": "all",
                                                      "category": "billing", "cursor": "abc", "bogus": "x"})
    assert (response.status_code, response["Location"]) == (302, f"{INBOX}?view=all&category=billing")
    saved = SavedView.objects.get()
    assert (saved.user_id, saved.name, saved.query) == (staff.user.pk, "Billing queue", "view=all&category=billing")
    html = _page(browser_client, f"{INBOX}?view=all&category=billing")
    assert re.search(r'<a href="\?view=all&amp;category=billing" aria-current="page">Billing queue</a>', html)
    assert _rows(html) == ["A billing question"]
    response = browser_client.post(f"{INBOX}/views/{saved.pk}/delete", {"next": INBOX}, follow=True)
    assert "Saved view deleted." in response.content.decode()
    assert SavedView.objects.count() == 0


def test_saving_a_view_refuses_bad_input_and_changes_nothing(staff, browser_client):
    queues.saved_view_create(staff_user=staff.user, name="Mine", params={"view": "mine"})
    for data, message in (
        ({"name": "", "view": "all"}, "View not saved. name: This field is required."),
        ({"name": "x" * 61, "view": "all"}, "View not saved. name: Ensure this value has at most 60 characters"),
        ({"name": "Mine", "view": "mine"}, "View not saved. You already have a view named “Mine”."),
        ({"name": "Empty"}, "View not saved. Nothing to save: choose a view or a filter first."),
    ):
        response = browser_client.post(f"{INBOX}/views", data, follow=True)
        assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"'), data
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Mine"]


def test_saved_views_are_per_operator(staff, browser_client, django_user_model):
    sam = django_user_model.objects.create_user(username="sam", is_staff=True)
    theirs = queues.saved_view_create(staff_user=sam, name="Sam's view", params={"view": "closed"})
    queues.saved_view_create(staff_user=staff.user, name="Sam's view", params={"view": "all"})  # same name: fine
    html = _page(browser_client, INBOX)
    assert re.findall(r"<a href=\"([^\"]+)\">Sam&#x27;s view</a>", html) == ["?view=all"]
    assert browser_client.post(f"{INBOX}/views/{theirs.pk}/delete").status_code == 404
    assert browser_client.post(f"{INBOX}/views/999999/delete").status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()


def test_saved_views_are_capped_per_operator(staff):
    for i in range(queues.MAX_SAVED_VIEWS):
        queues.saved_view_create(staff_user=staff.user, name=f"View {i}", params={"q": f"word{i}"})
    from support_project.domain import InvalidInput

    with pytest.raises(InvalidInput, match="delete one first"):
        queues.saved_view_create(staff_user=staff.user, name="One too many", params={"view": "all"})
    assert SavedView.objects.count() == queues.MAX_SAVED_VIEWS


def test_view_counts_are_bounded_at_two_sizes(staff, django_assert_num_queries):
    for rows in (3, 40):
        payer = make_agent(f"Busy {rows}", grant_micros=10_000 * rows)
        for i in range(rows):
            open_ticket(payer, subject=f"Ticket {i}")
        with django_assert_num_queries(1):
            counts = queues.ticket_queue_counts(staff_user=staff.user)
        assert counts["all"] == counts["needs_reply"] == counts["unassigned"] == (3 if rows == 3 else 43)


def test_the_migration_backfills_the_waiting_clock(agent_a, staff):
    import importlib

    from django.db import connection

    backfill = importlib.import_module("tickets.migrations.0003_inbox_awaiting_since_saved_replies_and_views").BACKFILL
    untouched = open_ticket(agent_a, subject="Never answered")
    answered = open_ticket(agent_a, subject="Answered")
    again = open_ticket(agent_a, subject="Answered, then asked again")
    operators.ticket_reply(ticket=answered, staff_user=staff.user, text="Done")
    operators.ticket_reply(ticket=again, staff_user=staff.user, text="Done")
    operators.ticket_reply(ticket=again, staff_user=staff.user, text="A later internal note", internal=True)
    asked = Message.objects.create(session_id=again.support_session_id, author="user", text="Still broken",
                                   created_at=timezone.now() + timedelta(seconds=5))
    Message.objects.create(session_id=again.support_session_id, author="user", text="Hello?",
                           created_at=timezone.now() + timedelta(seconds=9))
    # What AddField's default left: a clock on every row (and the customer's messages above are waiting).
    Ticket.objects.filter(pk=again.pk).update(awaiting_operator=True, awaiting_since=timezone.now())
    Ticket.objects.update(awaiting_since=timezone.now() + timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    since = dict(Ticket.objects.values_list("subject", "awaiting_since"))
    assert since == {"Never answered": untouched.created_at, "Answered": None,
                     "Answered, then asked again": asked.created_at}
