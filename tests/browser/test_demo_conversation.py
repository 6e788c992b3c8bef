"""/demo in a real browser: a whole conversation with the Enrich Agent (issue #13) — a vague request,
its question, the details, the ticket, its status, a follow-up added, "yes, that answers it" → resolved.
Answers are rendered Markdown with clickable links."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_demo_phone import assert_fits
from tests.conftest import make_agent
from tickets.models import Ticket


def _say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    before = page.locator(".msg--assistant").count()
    page.fill("#composer-input", text)
    page.click("#composer-send")
    # A locator wait, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator(".msg--assistant")).to_have_count(before + 1, timeout=30_000)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_conversation_from_a_vague_request_to_a_resolved_ticket(live_server, page, screenshot_dir, browser):
    from playwright.sync_api import expect

    persona = make_agent("Conversation agent")
    page.goto(f"{live_server.url}/demo")
    page.fill("#token-input", persona.token)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#composer-input")).to_be_visible()

    _say(page, "I want to report a bug")
    last = page.locator(".msg--assistant").last
    expect(last).to_contain_text("What went wrong?")
    assert Ticket.objects.count() == 0

    _say(page, "the ledger endpoint returns 500 when I pass limit=100")
    last = page.locator(".msg--assistant").last
    expect(last).to_contain_text("Done — I opened support ticket #")
    expect(last).to_contain_text("Does this answer your question?")
    expect(page.locator("#agent-balance")).to_have_text("$0.19")
    ticket = Ticket.objects.get(agent=persona.agent)
    # Rendered Markdown: the thread and the recipe are links, not text.
    expect(last.locator(f'a[href="/demo?session={ticket.support_session_id}"]')).to_have_count(1)
    expect(last.locator('a[href^="/cookbook/"]').first).to_be_visible()

    _say(page, "what's its status?")
    expect(page.locator(".msg--assistant").last).to_contain_text(f"Ticket #{ticket.number} ")
    expect(page.locator(".msg--assistant").last).to_contain_text("is open")

    _say(page, "add to it: it also happens with limit=50")
    expect(page.locator(".msg--assistant").last).to_contain_text(f"Added to ticket #{ticket.number} (free)")

    _say(page, "yes, that answers it")
    expect(page.locator(".msg--assistant").last).to_contain_text(f"I marked ticket #{ticket.number} as resolved")
    page.screenshot(path=str(screenshot_dir / "demo_conversation_desktop.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert persona.balance_micros == 190_000  # one charge, for the one ticket
    assert ticket.support_session.messages.filter(author="user", text="it also happens with limit=50").exists()

    # The sidebar shows the thread as resolved once the page reloads its sessions.
    page.reload()
    support = page.locator(".demo-session--support")
    expect(support.locator(".badge--resolved")).to_have_text("resolved")
    support.locator("button").click()
    expect(page).to_have_url(re.compile(rf"/demo\?session={ticket.support_session_id}$"))
    expect(page.locator(".msg--system").last).to_contain_text("The customer confirmed the answer solved it")

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    small.goto(page.url)
    small.fill("#token-input", persona.token)
    small.click("#signin-form button[type=submit]")
    expect(small.locator(".msg--triage_bot")).to_contain_text("Does this answer your question?")
    small.screenshot(path=str(screenshot_dir / "demo_conversation_phone.png"), full_page=True)
    assert_fits(small, screenshot_dir, "conversation")  # it was 962 px wide before the grid track fix
    phone.close()
