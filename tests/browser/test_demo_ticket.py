"""/demo in a real browser: the customer closes a support ticket and rates the help (issue #14 item 4),
and the balance has a "Top up" link. Screenshots at 1280 px and 390 px go to $SCREENSHOT_DIR."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import make_agent
from tickets.models import Ticket, TicketStatus
from webhooks.models import Event

TICKETS = "/api/v1/support/tickets"


def _sign_in(page: Any, url: str, token: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.fill("#token-input", token)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#composer-input")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_customer_closes_and_rates_a_ticket(live_server: Any, page: Any, screenshot_dir: Any) -> None:
    from playwright.sync_api import expect

    persona = make_agent("Closing agent")
    created = persona.client.post(TICKETS, {"category": "bug", "subject": "Export times out",
                                            "body": "After 30 s the CSV export fails."}, format="json").json()
    _sign_in(page, f"{live_server.url}/demo?session={created['support_session_id']}", persona.token)
    expect(page.locator("#topup-link")).to_have_attribute("href", "/cookbook/billing#top-up-with-x402")
    actions = page.locator("#ticket-actions")
    expect(actions.locator("#close-ticket-button")).to_be_visible()
    expect(actions.locator("#rating-form")).to_have_count(0)  # open: nothing to rate yet
    page.screenshot(path=str(screenshot_dir / "demo_ticket_open_1280.png"), full_page=True)

    actions.locator("#close-ticket-button").click()
    expect(actions).to_contain_text("Close ticket #")
    actions.get_by_role("button", name="Cancel").click()
    expect(actions.locator("#close-ticket-button")).to_be_visible()
    assert Ticket.objects.get().status == TicketStatus.OPEN

    actions.locator("#close-ticket-button").click()
    actions.locator("#close-ticket-confirm").click()
    expect(page.locator("#conversation-meta .badge--closed")).to_have_text("closed")
    expect(page.locator("#composer-input")).to_be_disabled()
    expect(page.locator(".msg--system").last).to_contain_text("The customer closed this ticket.")
    expect(page.locator(".demo-session--support .badge--closed")).to_have_text("closed")
    form = actions.locator("#rating-form")
    expect(form).to_be_visible()
    expect(actions.locator("#close-ticket-button")).to_have_count(0)
    assert Ticket.objects.get().status == TicketStatus.CLOSED

    form.locator("#rating-send").click()  # no score picked: refused in the page, nothing sent
    expect(actions.locator(".demo-ticket__error")).to_have_text("Pick a score from 1 to 5 stars first.")
    form.locator("label[for=rating-score-4]").click()
    expect(form.locator(".demo-ticket__chosen")).to_have_text("4 of 5 — Very good")
    form.locator("#rating-comment").fill("Quick answer, <b>thanks</b>!")
    page.screenshot(path=str(screenshot_dir / "demo_ticket_rate_1280.png"), full_page=True)
    form.locator("#rating-send").click()

    rated = actions.locator("#ticket-rating")
    expect(rated).to_contain_text("4/5")
    expect(rated).to_contain_text("“Quick answer, <b>thanks</b>!”")  # text, never HTML
    expect(actions.locator("#rating-form")).to_have_count(0)
    ticket = Ticket.objects.get()
    assert (ticket.rating_score, ticket.rating_comment) == (4, "Quick answer, <b>thanks</b>!")
    assert Event.objects.filter(type="support.ticket_rated").count() == 1
    page.screenshot(path=str(screenshot_dir / "demo_ticket_rated_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "demo_ticket_rated_390.png"), full_page=True)

    # Reloading shows the stored rating, not the form.
    page.reload()
    expect(page.locator("#ticket-rating")).to_contain_text("4/5")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resolved_ticket_offers_rating_and_close_on_a_phone(live_server: Any, page: Any,
                                                               screenshot_dir: Any) -> None:
    from playwright.sync_api import expect

    persona = make_agent("Phone agent")
    created = persona.client.post(TICKETS, {"category": "billing", "subject": "Charged twice?",
                                            "body": "I see two charges."}, format="json").json()
    Ticket.objects.update(status=TicketStatus.RESOLVED, awaiting_operator=False)
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, f"{live_server.url}/demo?session={created['support_session_id']}", persona.token)
    actions = page.locator("#ticket-actions")
    expect(actions.locator("#rating-form")).to_be_visible()
    expect(actions.locator("#close-ticket-button")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "demo_ticket_resolved_390.png"), full_page=True)
    actions.locator("label[for=rating-score-5]").click()
    actions.locator("#rating-send").click()
    expect(actions.locator("#ticket-rating")).to_contain_text("5/5")
    # Still resolved: rating doesn't close it, and closing stays possible.
    expect(page.locator("#conversation-meta .badge--resolved")).to_have_text("resolved")
    expect(actions.locator("#close-ticket-button")).to_be_visible()
    assert re.fullmatch(r"\d{4}-.*Z", persona.client.get(f"{TICKETS}/{created['ticket_id']}").json()["rating"]["created_at"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_landing_page_on_desktop_and_phone(live_server: Any, page: Any, screenshot_dir: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("A paid support desk for agents")
    page.screenshot(path=str(screenshot_dir / "home_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "home_390.png"), full_page=True)
    page.click("text=Demo >> nth=1")
    expect(page).to_have_url(f"{live_server.url}/demo")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_inbox_shows_the_rating_and_why_a_closed_ticket_refuses_a_reply(live_server: Any, page: Any,
                                                                            screenshot_dir: Any, staff: Any) -> None:
    from playwright.sync_api import expect

    persona = make_agent("Rating agent")
    created = persona.client.post(TICKETS, {"category": "bug", "subject": "Export times out",
                                            "body": "After 30 s the CSV export fails."}, format="json").json()
    persona.client.post(f"{TICKETS}/{created['ticket_id']}/close", format="json")
    persona.client.post(f"{TICKETS}/{created['ticket_id']}/rating", {"score": 2, "comment": "Took two days."},
                        format="json")
    number = Ticket.objects.get().number
    page.goto(f"{live_server.url}/ui-traffic/login")
    page.fill("#id_t-token", staff.token)
    page.click("text=Sign in with token")
    expect(page.locator(".rating-chip")).to_have_text("2★")
    page.goto(f"{live_server.url}/ui-traffic/tickets/{number}")
    expect(page.locator("#rating")).to_contain_text("2/5")
    expect(page.locator("#rating")).to_contain_text("Took two days.")
    expect(page.locator("#composer-closed")).to_contain_text("This ticket is closed")
    page.fill("textarea[name=text]", "Anything else?")
    page.click(".composer button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Reply not sent. This ticket is closed")
    page.screenshot(path=str(screenshot_dir / "inbox_closed_rated_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "inbox_closed_rated_390.png"), full_page=True)
    assert Ticket.objects.get().status == TicketStatus.CLOSED
