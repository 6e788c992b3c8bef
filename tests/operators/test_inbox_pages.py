"""The /ui-traffic Support Inbox: sign-in, staff-only pages, escaping, CSRF, forms, fixed SQL."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from demo_sessions.models import Message
from tickets import operators, queues
from tickets.models import Ticket

from .conftest import open_ticket

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"
LOGIN = "/ui-traffic/login"


@pytest.fixture
def browser_client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def _page(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_anonymous_browsers_are_sent_to_sign_in(bug):
    client = Client()
    for url in (INBOX, f"{INBOX}/tickets/{bug.number}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={url}"
    response = client.post(f"{INBOX}/tickets/{bug.number}/reply", {"text": "x", "visibility": "public"})
    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={INBOX}/tickets/{bug.number}/reply")
    assert Message.objects.count() == 1


def test_sign_in_with_a_staff_token(staff):
    client = Client()
    response = client.post(LOGIN, {"method": "token", "t-token": staff.token, "next": f"{INBOX}?status=open"})
    assert (response.status_code, response["Location"]) == (302, f"{INBOX}?status=open")
    assert "Signed in as" in _page(client.get(INBOX))


def test_sign_in_with_a_staff_password(staff):
    client = Client()
    response = client.post(LOGIN, {"method": "password", "p-username": "olivia", "p-password": "pw-olivia-1"})
    assert (response.status_code, response["Location"]) == (302, INBOX)
    assert "Olivia Operator" in _page(client.get(INBOX))


def test_sign_in_refuses_agent_tokens_wrong_passwords_and_non_staff(agent_a, staff, django_user_model):
    django_user_model.objects.create_user(username="carl", password="pw-carl-12345")  # not staff
    for data in (
        {"method": "token", "t-token": agent_a.token},
        {"method": "token", "t-token": "411s_" + "x" * 43},
        {"method": "token", "t-token": ""},
        {"method": "password", "p-username": "olivia", "p-password": "wrong"},
        {"method": "password", "p-username": "carl", "p-password": "pw-carl-12345"},
    ):
        client = Client()
        response = client.post(LOGIN, data)
        assert response.status_code == 200, data
        assert "Sign-in refused" in response.content.decode()
        assert client.get(INBOX).status_code == 302  # still signed out


def test_an_external_next_url_is_ignored(staff):
    response = Client().post(LOGIN, {"method": "token", "t-token": staff.token, "next": "https://evil.example/"})
    assert response["Location"] == INBOX


def test_signed_in_non_staff_users_are_refused(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="carl", password="pw-carl-12345"))
    response = client.get(INBOX)
    assert response.status_code == 403
    assert "Staff only" in response.content.decode()


def test_sign_out_is_a_post(browser_client):
    assert browser_client.get(f"{INBOX}/logout").status_code == 405
    response = browser_client.post(f"{INBOX}/logout")
    assert (response.status_code, response["Location"]) == (302, LOGIN)
    assert browser_client.get(INBOX).status_code == 302


def test_user_text_is_escaped(agent_a, browser_client):
    evil = '<script>alert("x")</script>'
    ticket = open_ticket(agent_a, subject=evil, body=f"{evil} <img src=x onerror=alert(1)>")
    listing = _page(browser_client.get(INBOX))
    detail = _page(browser_client.get(f"{INBOX}/tickets/{ticket.number}"))
    for html in (listing, detail):
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # The thread is rendered Markdown, sanitised by the shared renderer: raw HTML is dropped, not run.
    assert "<img" not in detail and "onerror" not in detail


def test_form_posts_without_a_csrf_token_are_refused(bug, staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.user)
    for action, data in (("reply", {"text": "hi", "visibility": "public"}),
                         ("update", {"support_status": "closed", "priority": "high", "assignee": ""}),
                         ("bounty", {"decision": "confirm"})):
        response = client.post(f"{INBOX}/tickets/{bug.number}/{action}", data)
        assert response.status_code == 403, action
    logout = client.post(f"{INBOX}/logout")
    assert logout.status_code == 403
    bug.refresh_from_db()
    assert (bug.status, bug.priority, bug.bounty_status, bug.message_count) == ("open", "normal", "pending_review", 1)


def test_form_posts_with_the_csrf_token_work(bug, staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.user)
    page = _page(client.get(f"{INBOX}/tickets/{bug.number}"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(f"{INBOX}/tickets/{bug.number}/reply",
                           {"text": "On it", "visibility": "public", "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, f"{INBOX}/tickets/{bug.number}")
    bug.refresh_from_db()
    assert bug.status == "pending"


def test_the_ticket_page_shows_everything_an_operator_needs(agent_a, staff, browser_client):
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "My enrich chat"}, format="json").json()
    ticket = open_ticket(agent_a, source_session_id=chat["id"])
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Secret staff note", internal=True)
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Public answer")
    html = _page(browser_client.get(f"{INBOX}/tickets/{ticket.public_id}"))  # the public id works too
    assert "msg msg--operator msg--internal" in html
    assert "Internal note · staff only" in html
    assert "Secret staff note" in html and "Public answer" in html
    assert "msg msg--user" in html
    assert "My enrich chat" in html  # the source chat
    assert "$0.19" in html  # the agent's balance
    assert 'value="confirm"' in html and 'value="reject"' in html


def test_reply_internal_note_status_and_bounty_forms(agent_a, bug, browser_client):
    url = f"{INBOX}/tickets/{bug.number}"
    browser_client.post(f"{url}/reply", {"text": "note to self", "visibility": "internal"})
    bug.refresh_from_db()
    assert (bug.status, bug.awaiting_operator) == ("open", True)
    response = browser_client.post(f"{url}/reply", {"text": "", "visibility": "public"}, follow=True)
    assert "Reply not sent" in response.content.decode()
    browser_client.post(f"{url}/reply", {"text": "fixed", "visibility": "public"})
    bug.refresh_from_db()
    assert (bug.status, bug.awaiting_operator, bug.message_count) == ("pending", False, 3)
    response = browser_client.post(f"{url}/update", {"support_status": "resolved", "priority": "urgent",
                                                     "assignee": "olivia"}, follow=True)
    assert "Updated: status pending → resolved, priority normal → urgent, assignee — → olivia." in response.content.decode()
    bug.refresh_from_db()
    assert (bug.status, bug.priority, bug.assignee.username) == ("resolved", "urgent", "olivia")
    # The test transaction never commits, so the award task (queued on commit) doesn't run here.
    response = browser_client.post(f"{url}/bounty", {"decision": "confirm", "note": "real"}, follow=True)
    assert "Bounty confirmed; the $1.00 credit is queued." in response.content.decode()
    bug.refresh_from_db()
    assert (bug.bounty_status, bug.bounty_note, bug.bounty_decided_by.username) == ("confirmed", "real", "olivia")
    response = browser_client.post(f"{url}/bounty", {"decision": "maybe"}, follow=True)
    assert "No decision recorded." in response.content.decode()


def test_an_invalid_transition_from_the_page_is_a_message_not_a_change(bug, staff, browser_client):
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, support_status="closed")
    response = browser_client.post(f"{INBOX}/tickets/{bug.number}/reply",
                                   {"text": "x", "visibility": "public", "support_status": "pending"}, follow=True)
    assert "Reply not sent. A staff can&#x27;t move a ticket from closed to pending." in response.content.decode()
    assert Message.objects.filter(session_id=bug.support_session_id).count() == 1


def _rows(html: str) -> list[str]:
    # A search result's subject has its matched words in <mark>: the row is its text.
    return [re.sub(r"</?mark>", "", subject) for subject in
            re.findall(r'<a href="/ui-traffic/tickets/\d+" class="inbox-row__link">((?:[^<]|</?mark>)*)</a>', html)]


def _tabs(html: str) -> dict[str, str]:
    return dict(re.findall(r'>\s*([\w ]+?)\s*<span class="tabs__count">(\d+\+?)</span>', html))


def test_the_inbox_lists_filters_searches_and_counts(agent_a, agent_b, staff, browser_client):
    a = open_ticket(agent_a, subject="Export times out")
    b = open_ticket(agent_b, subject="Charged twice", category="billing", body="Two charges for one ticket.")
    c = open_ticket(agent_a, subject="Crash on login")
    operators.ticket_update_by_staff(ticket=c, staff_user=staff.user, support_status="resolved", assignee="olivia")
    html = _page(browser_client.get(f"{INBOX}?view=all"))
    assert _rows(html) == ["Crash on login", "Charged twice", "Export times out"]
    assert _tabs(html) == {"Needs reply": "2", "Mine": "0", "Unassigned": "2", "All": "3", "Closed": "1"}
    assert html.count(">Needs reply</span>") == 2
    assert "Pending Review" in html  # bounty state of the bugs
    assert _rows(_page(browser_client.get(f"{INBOX}?view=all&status=open&category=bug"))) == ["Export times out"]
    assert _rows(_page(browser_client.get(f"{INBOX}?view=all&q=charges"))) == ["Charged twice"]
    assert _rows(_page(browser_client.get(f"{INBOX}?view=all&assignee=me"))) == ["Crash on login"]
    assert _rows(_page(browser_client.get(f"{INBOX}?view=all&assignee=none"))) == ["Charged twice", "Export times out"]
    searched = _page(browser_client.get(f"{INBOX}?view=all&q=charges"))
    assert _tabs(searched) == {"Needs reply": "1", "Mine": "0", "Unassigned": "1", "All": "1", "Closed": "0"}
    assert _page(browser_client.get(f"{INBOX}?view=bogus&status=bogus&cursor=garbage"))  # bad params never 500
    assert a.number and b.number


def test_the_inbox_pages_with_next_page_links(agent_a, browser_client):
    from tests.conftest import make_agent

    payer = make_agent("Busy", grant_micros=1_000_000)
    for i in range(27):
        open_ticket(payer, subject=f"Ticket {i:02d}")
    first = _page(browser_client.get(f"{INBOX}?view=all"))
    assert len(_rows(first)) == 25
    older = re.search(r'<a class="button" href="([^"]+)" rel="next">Next page →</a>', first).group(1)
    second = _page(browser_client.get(INBOX + older.replace("&amp;", "&")))
    assert _rows(second) == ["Ticket 01", "Ticket 00"]
    assert "Next page →" not in second and "← First page" in second
    # Needs reply pages oldest-first: page two holds the newest waits.
    first = _page(browser_client.get(INBOX))
    assert _rows(first)[:2] == ["Ticket 00", "Ticket 01"]
    older = re.search(r'<a class="button" href="([^"]+)" rel="next">Next page →</a>', first).group(1)
    assert _rows(_page(browser_client.get(INBOX + older.replace("&amp;", "&")))) == ["Ticket 25", "Ticket 26"]


@pytest.mark.parametrize("rows", [5, 60])
@pytest.mark.parametrize("view", ["needs_reply", "mine", "unassigned", "all", "closed"])
def test_the_inbox_page_runs_a_fixed_number_of_queries(staff, browser_client, django_assert_num_queries, rows, view):
    from tests.conftest import make_agent

    payer = make_agent("Busy", grant_micros=10_000 * rows)
    for i in range(rows):
        ticket = open_ticket(payer, subject=f"Ticket {i}")
        if i % 2:
            Ticket.objects.filter(pk=ticket.pk).update(assignee=staff.user)
        if i % 3 == 0:
            operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, support_status="resolved")
    queues.saved_view_create(staff_user=staff.user, name="Bugs", params={"view": "all", "category": "bug"})
    # 1 session, 2 user, 3 one page of tickets joined to agent and assignee, 4 one query of capped
    # counts for the view tabs, 5 the operator's saved views, 6 staff names for the assignee filter.
    with django_assert_num_queries(6):
        _page(browser_client.get(f"{INBOX}?view={view}&q=ticket"))
    with django_assert_num_queries(6):
        _page(browser_client.get(f"{INBOX}?view={view}"))


def test_the_ticket_page_runs_a_fixed_number_of_queries(agent_a, staff, browser_client, django_assert_num_queries):
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "Chat"}, format="json").json()
    ticket = open_ticket(agent_a, source_session_id=chat["id"])
    for i in range(10):
        operators.ticket_reply(ticket=ticket, staff_user=staff.user, text=f"note {i}", internal=i % 2 == 0)
        operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, priority=("high", "low")[i % 2],
                                         assignee=staff.user.username if i % 2 else None)
    # session, user, ticket (+agent, assignee, decider, source chat), thread (+ its attachments),
    # timeline (+actors), source chat messages (+ theirs), staff list, saved replies, customer
    # context: other tickets, ledger entries, bounty history
    with django_assert_num_queries(13):
        html = _page(browser_client.get(f"{INBOX}/tickets/{ticket.number}"))
    assert html.count('class="tl-event ') == 20


def test_an_unknown_ticket_is_404(browser_client):
    assert browser_client.get(f"{INBOX}/tickets/99999").status_code == 404
    assert browser_client.get(f"{INBOX}/tickets/tkt_nope").status_code == 404
