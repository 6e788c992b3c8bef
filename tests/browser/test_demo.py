"""/demo in a real browser: sign in with a token, file a ticket through the Enrich Agent, follow up."""

from __future__ import annotations

import re

import pytest

from demo_sessions.models import Message
from tests.conftest import make_agent
from tickets.models import Ticket

EXPORT = "file a support ticket — my export times out after 30 seconds, expected a CSV"
FOLLOW_UP = "It happens on every page after the third, with limit=100."


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_files_a_ticket_from_chat_and_follows_up_in_its_thread(live_server, page, screenshot_dir):
    from playwright.sync_api import expect

    persona = make_agent("Browser agent")
    page.goto(f"{live_server.url}/demo")
    expect(page.locator("#signin")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "demo_signin.png"), full_page=True)
    page.fill("#token-input", persona.token)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#composer-input")).to_be_visible()
    expect(page.locator("#agent-name")).to_have_text("Browser agent")
    expect(page.locator("#agent-balance")).to_have_text("$0.20")
    expect(page.locator("#session-empty")).to_be_visible()

    page.fill("#composer-input", EXPORT)
    page.click("#composer-send")
    assistant = page.locator(".msg--assistant").last
    expect(assistant).to_contain_text("Done — I opened support ticket #", timeout=20_000)
    expect(assistant).to_contain_text("Triage for ticket #")
    expect(assistant).to_contain_text("Does this answer your question?")
    expect(page.locator(".msg--system")).to_contain_text("Support ticket #")
    expect(page.locator("#agent-balance")).to_have_text("$0.19")
    expect(page).to_have_url(re.compile(r"/demo\?session=[0-9a-f]{32}$"))
    expect(page.locator("#conversation-title")).to_have_text(EXPORT)

    support = page.locator(".demo-session--support")
    expect(support).to_have_count(1)
    expect(support).to_contain_text("My export times out after 30 seconds")
    expect(support.locator(".badge--open")).to_have_text("open")
    expect(page.locator(".demo-session--enrich")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "demo_chat_ticket.png"), full_page=True)

    ticket = Ticket.objects.get(agent=persona.agent)
    support.locator("button").click()
    expect(page).to_have_url(re.compile(rf"/demo\?session={ticket.support_session_id}$"))
    expect(page.locator("#conversation-title")).to_have_text("My export times out after 30 seconds")
    expect(page.locator("#composer-label")).to_have_text("Reply in this support thread")
    expect(page.locator(".msg--user").first).to_have_text(re.compile(re.escape(EXPORT.split(" — ", 1)[1])))
    expect(page.locator(".msg--triage_bot")).to_contain_text("Does this answer your question?")

    page.fill("#composer-input", FOLLOW_UP)
    page.click("#composer-send")
    expect(page.locator(".msg--user").last).to_contain_text(FOLLOW_UP)
    expect(page.locator("#composer-input")).to_have_value("")
    page.screenshot(path=str(screenshot_dir / "demo_support_thread.png"), full_page=True)

    thread = list(Message.objects.filter(session_id=ticket.support_session_id).order_by("created_at", "id")
                  .values_list("author", "text"))
    assert [a for a, _ in thread] == ["user", "triage_bot", "user"]
    assert (thread[0][1], thread[2][1]) == (EXPORT.split(" — ", 1)[1], FOLLOW_UP)  # the body is without the lead
    assert persona.balance_micros == 190_000  # the follow-up was free


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_try_it_mints_an_agent_and_user_text_is_never_html(live_server, page, screenshot_dir, settings):
    from playwright.sync_api import expect

    settings.AGENT_SELF_MINT = True
    page.goto(f"{live_server.url}/demo")
    page.click("#mint-button")
    expect(page.locator("#composer-input")).to_be_visible()
    expect(page.locator("#agent-name")).to_have_text("Demo agent")
    expect(page.locator("#agent-balance")).to_have_text("$0.20")

    hostile = '<img src=x onerror="document.title=\'pwned\'"> how do I verify webhook signatures?'
    page.fill("#composer-input", hostile)
    page.keyboard.press("Enter")
    expect(page.locator(".msg--assistant")).to_contain_text("/cookbook/event_callbacks", timeout=20_000)
    expect(page.locator(".msg--user")).to_have_text(re.compile(re.escape(hostile)))
    expect(page.locator("#transcript img")).to_have_count(0)
    assert page.title() != "pwned"
    link = page.locator(".msg--assistant a[href^='/cookbook/event_callbacks']").first
    expect(link).to_be_visible()

    page.reload()  # the token survives a reload (sessionStorage) and ?session= reopens the chat
    expect(page.locator(".msg--user")).to_have_count(1)
    page.set_viewport_size({"width": 420, "height": 900})
    page.screenshot(path=str(screenshot_dir / "demo_mobile.png"), full_page=True)
