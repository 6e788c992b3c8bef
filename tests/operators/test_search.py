"""Staff search (issue #15 item 6): by customer name or agent id, ticket id prefix, #number; bot and
triage text left out unless asked for; matched words highlighted, escaped. PostgreSQL full-text."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Agent
from demo_sessions.models import Author, Message
from tests.conftest import make_agent
from tickets import search
from tickets.models import Ticket
from tickets.search_highlight import START, STOP, highlight_html

from .conftest import ADMIN, open_ticket

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"


@pytest.fixture(autouse=True)
def _postgres_only(settings: Any) -> None:
    if not settings.IS_POSTGRES:
        pytest.skip("PostgreSQL full-text search")


def _numbers(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(row["number"] for row in response.json()["results"])


def _triage(ticket: Ticket, text: str) -> None:
    Message.objects.create(session_id=ticket.support_session_id, author=Author.TRIAGE_BOT, text=text)


def test_it_finds_a_customers_tickets_by_name_and_by_agent_id_or_its_prefix(staff):
    acme, other = make_agent("Acme Robotics"), make_agent("Zed Labs")
    mine = [open_ticket(acme, subject="Login loop"), open_ticket(acme, subject="Slow page")]
    theirs = open_ticket(other, subject="Robotics question")
    numbers = sorted(t.number for t in mine)
    assert _numbers(staff.client.get(f"{ADMIN}?q=acme")) == numbers
    assert _numbers(staff.client.get(f"{ADMIN}?q=Acme Robotics")) == numbers
    assert _numbers(staff.client.get(f"{ADMIN}?q=robotics")) == sorted([*numbers, theirs.number])
    assert _numbers(staff.client.get(f"{ADMIN}?q={acme.agent.id}")) == numbers
    assert _numbers(staff.client.get(f"{ADMIN}?q={acme.agent.id[:9]}")) == numbers
    assert _numbers(staff.client.get(f"{ADMIN}?q=agt_")) == sorted([*numbers, theirs.number])


def test_renaming_an_agent_refreshes_the_name_search(staff):
    acme = make_agent("Acme Robotics")
    ticket = open_ticket(acme)
    Agent.objects.filter(pk=acme.agent.pk).update(name="Globex")
    assert _numbers(staff.client.get(f"{ADMIN}?q=globex")) == [ticket.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q=acme")) == []


def test_it_finds_a_ticket_by_id_prefix_and_by_number(agent_a, staff):
    first, second = open_ticket(agent_a, subject="One"), open_ticket(agent_a, subject="Two")
    prefix = first.public_id[:10]
    expected = sorted(t.number for t in (first, second) if t.public_id.startswith(prefix))
    assert _numbers(staff.client.get(f"{ADMIN}?q={prefix}")) == expected
    assert _numbers(staff.client.get(f"{ADMIN}?q={first.public_id}")) == [first.number]
    assert _numbers(staff.client.get(f"{ADMIN}", {"q": f"#{second.number}"})) == [second.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q={second.number}")) == [second.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q=tkt_zzzzzzzzzzzzzzzzzzzzzz")) == []
    # A bare number is also a word (a ticket mentioning "error 2"); with # it is only the ticket.
    mentions = open_ticket(agent_a, subject="Error", body=f"It says error {first.number} then quits.")
    assert _numbers(staff.client.get(f"{ADMIN}?q={first.number}")) == sorted([first.number, mentions.number])
    assert _numbers(staff.client.get(f"{ADMIN}", {"q": f"#{first.number}"})) == [first.number]
    assert _numbers(staff.client.get(f"{ADMIN}?q=tkt_%25")) == []  # a LIKE wildcard is not a prefix


def test_bot_and_triage_text_is_left_out_unless_asked_for(agent_a, staff):
    quoted = open_ticket(agent_a, subject="Login loop", body="I keep getting signed out.")
    _triage(quoted, "Triage: the exports recipe covers CSV exports.")
    asked = open_ticket(agent_a, subject="Exports are empty", body="The file has no rows.")
    note = open_ticket(agent_a, subject="Other", body="Nothing")
    Message.objects.create(session_id=note.support_session_id, author=Author.OPERATOR, internal=True,
                           author_name="Olivia", text="Check the exports job")
    assert _numbers(staff.client.get(f"{ADMIN}?q=exports")) == sorted([asked.number, note.number])
    assert _numbers(staff.client.get(f"{ADMIN}?q=exports&include_bots=false")) == sorted([asked.number, note.number])
    assert _numbers(staff.client.get(f"{ADMIN}?q=exports&include_bots=true")) == sorted(
        [quoted.number, asked.number, note.number])
    # The inbox: toggle, rows and tab counts follow it.
    client = staff_browser(staff)
    html = client.get(INBOX, {"q": "exports"}).content.decode()
    assert f'href="/ui-traffic/tickets/{quoted.number}"' not in html
    assert 'name="include_bots" value="1">' in html
    html = client.get(INBOX, {"q": "exports", "include_bots": "1"}).content.decode()
    assert f'href="/ui-traffic/tickets/{quoted.number}"' in html
    assert 'name="include_bots" value="1" checked>' in html
    assert search.ticket_status_counts(q="exports") == {"open": 2}
    assert search.ticket_status_counts(q="exports", include_bots=True) == {"open": 3}


def test_a_bad_include_bots_value_is_400(staff):
    response = staff.client.get(f"{ADMIN}?q=x&include_bots=maybe")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert list(response.json()["details"]) == ["include_bots"]


def test_results_carry_escaped_highlights(agent_a, staff):
    ticket = open_ticket(agent_a, subject="<img src=x onerror=alert(1)> export fails",
                         body=f"The {START}export{STOP} button <script>alert(2)</script> does nothing on export.")
    row = staff.client.get(f"{ADMIN}?q=export").json()["results"][0]
    assert row["number"] == ticket.number
    assert row["highlight"]["subject"] == "&lt;img src=x onerror=alert(1)&gt; <mark>export</mark> fails"
    assert row["highlight"]["agent_name"] == "Alice&#x27;s agent"
    snippet = row["highlight"]["snippet"]
    # PostgreSQL's parser drops tag-like tokens from headlines; the text around them stays, escaped.
    assert "<script" not in snippet and "alert(2)" in snippet
    assert snippet.count("<mark>") == 2 and START not in snippet and STOP not in snippet
    assert "<mark>export</mark>" in snippet
    # Found by number: no word matched, so no snippet; the subject is plain escaped text.
    by_number = staff.client.get(f"{ADMIN}?q=%23{ticket.number}").json()["results"][0]["highlight"]
    assert by_number == {"subject": "&lt;img src=x onerror=alert(1)&gt; export fails",
                         "agent_name": "Alice&#x27;s agent", "snippet": ""}
    # The inbox row shows the same, escaped.
    html = staff_browser(staff).get(INBOX, {"q": "export"}).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>export</mark> fails</a>" in html
    assert "<img src=x" not in html and "<script>alert(2)" not in html


def test_a_name_match_highlights_the_agent(staff):
    acme = make_agent("Acme <b>Robotics</b>")
    open_ticket(acme, subject="Login loop")
    row = staff.client.get(f"{ADMIN}?q=robotics").json()["results"][0]
    assert row["highlight"]["agent_name"] == "Acme &lt;b&gt;<mark>Robotics</mark>&lt;/b&gt;"
    html = staff_browser(staff).get(INBOX, {"q": "robotics"}).content.decode()
    assert "Acme &lt;b&gt;<mark>Robotics</mark>&lt;/b&gt;" in html


def test_highlight_html_escapes_everything_but_its_own_markers() -> None:
    assert highlight_html(f"<a>{START}x&y{STOP}</a>") == "&lt;a&gt;<mark>x&amp;y</mark>&lt;/a&gt;"
    assert highlight_html(f"{START}unclosed <b>") == "unclosed &lt;b&gt;"
    assert highlight_html("plain", only_if_matched=True) == ""
    assert highlight_html(None) == ""


@pytest.mark.parametrize("rows", [5, 30])
def test_searching_keeps_the_query_counts(staff, django_assert_num_queries, rows):
    payer = make_agent("Busy agent", grant_micros=10_000 * rows)
    for i in range(rows):
        ticket = open_ticket(payer, subject=f"Export problem {i}")
        _triage(ticket, "Triage: the exports recipe.")
    # 1: token joined to its user; 2: one page of tickets with agent, assignee and the highlights
    with django_assert_num_queries(2):
        assert len(staff.client.get(f"{ADMIN}?q=export&include_bots=true&limit=100").json()["results"]) == rows
    with django_assert_num_queries(2):
        staff.client.get(f"{ADMIN}?q=busy")
    # session, user, page of tickets (+highlights), capped view counts, saved views, staff names
    browser_client = staff_browser(staff)
    with django_assert_num_queries(6):
        assert browser_client.get(INBOX, {"view": "all", "q": "export", "include_bots": "1"}).status_code == 200


def staff_browser(staff: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(staff.user)
    return client
