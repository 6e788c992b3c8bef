"""Live pages in a real browser against the production web command (2 workers, PostgreSQL NOTIFY).

The customer's /demo and the inbox ticket page in separate browser contexts: an operator's reply
appears for the customer without a reload within 2 s; the customer's reply changes the inbox row;
a second operator sees who is typing, and their reply is held back as a collision (draft kept,
one click sends anyway). Screenshots at 1280 and 390 px go to $SCREENSHOT_DIR.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from accounts.services import staff_token_create
from demo_sessions.models import Message
from tests.browser.conftest import browser, screenshot_dir  # noqa: F401 - fixtures
from tests.conftest import make_agent
from tests.operators.conftest import open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def new_page(browser: Any, viewport: dict[str, int]) -> Any:  # noqa: F811 - the fixture's value
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in_inbox(page: Any, web: str, token: str, next_path: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{web}/ui-traffic/login?next={next_path}")
    page.fill("#id_t-token", token)
    page.click("text=Sign in with token")
    expect(page).to_have_url(f"{web}{next_path}")


def test_both_sides_see_changes_live_and_a_second_operator_gets_the_collision(
    web: str, browser: Any, screenshot_dir: Any, staff: Any  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    customer = make_agent("Alice's agent")
    ticket = open_ticket(customer, subject="Export times out after 30 s", body="The CSV export stops at 30 s.")
    other = open_ticket(customer, category="other", subject="Another question", body="How do usage keys work?")
    oscar = get_user_model().objects.create_user(username="oscar", password="pw-oscar-1", is_staff=True,
                                                 first_name="Oscar", last_name="Second")
    oscar_token = staff_token_create(user=oscar)[1]
    ticket_path = f"/ui-traffic/tickets/{ticket.number}"

    # The customer, on a phone, in the ticket's thread.
    phone = new_page(browser, PHONE)
    phone.goto(f"{web}/demo?session={ticket.support_session_id}")
    phone.fill("#token-input", customer.token)
    phone.click("#signin-form button[type=submit]")
    expect(phone.locator("#conversation-title")).to_have_text("Export times out after 30 s")
    expect(phone.locator("#demo")).to_have_attribute("data-live", "on")

    # Two operators on the ticket page, one more tab on the list.
    olivia = new_page(browser, DESKTOP)
    sign_in_inbox(olivia, web, staff.token, ticket_path)
    listing = olivia.context.new_page()
    listing.goto(f"{web}/ui-traffic")
    expect(listing.locator(".live-slot")).to_have_attribute("data-live", "on")
    second = new_page(browser, PHONE)
    sign_in_inbox(second, web, oscar_token, ticket_path)
    expect(olivia.locator(".ticket-layout")).to_have_attribute("data-live", "on")
    expect(second.locator(".ticket-layout")).to_have_attribute("data-live", "on")

    # Presence: each sees the other; Oscar sees Olivia typing.
    expect(olivia.locator("#presence")).to_contain_text("Oscar Second is viewing")
    second.fill("#reply-text", "Could you send the export id?")  # Oscar's draft, written first
    olivia.locator("#reply-text").press_sequentially("Thanks — ", delay=20)
    expect(second.locator("#presence")).to_contain_text("Olivia Operator is typing a reply…")
    olivia.locator("#reply-text").press_sequentially("we reproduced it.", delay=5)
    second.screenshot(path=str(screenshot_dir / "live_ticket_presence_390.png"), full_page=True)

    # Olivia replies: the customer sees it without a reload, within 2 s; the badge follows.
    olivia.click(".composer button[type=submit]")
    expect(olivia.locator(".message--success")).to_contain_text("Reply sent")
    expect(phone.locator("#transcript .msg--operator")).to_contain_text("we reproduced it", timeout=2_000)
    expect(phone.locator("#conversation-meta .badge")).to_have_text("pending", timeout=2_000)
    # Oscar's page shows it arrive too, while his draft stays as it is.
    expect(second.locator(".thread .msg--operator")).to_contain_text("we reproduced it", timeout=2_000)
    expect(second.locator(".live-notice")).to_be_visible()
    phone.screenshot(path=str(screenshot_dir / "live_demo_reply_390.png"), full_page=True)

    # Oscar sends his draft: nothing is sent, he sees what arrived with his draft kept…
    second.click(".composer button[type=submit]:not([name])")
    expect(second.locator("#collision")).to_contain_text("Not sent.")
    expect(second.locator("#collision")).to_contain_text("we reproduced it")
    expect(second.locator("#reply-text")).to_have_value("Could you send the export id?")
    second.screenshot(path=str(screenshot_dir / "live_collision_390.png"), full_page=True)
    assert not Message.objects.filter(text="Could you send the export id?").exists()
    # …and one click sends it anyway.
    second.click("#collision button[name=send_anyway]")
    expect(second.locator(".message--success")).to_contain_text("Reply sent")
    assert Message.objects.filter(text="Could you send the export id?", author_name="Oscar Second").count() == 1
    expect(phone.locator("#transcript .msg--operator")).to_have_count(2, timeout=2_000)

    # The customer answers: the inbox row changes in place (needs reply, open) without a reload.
    row = listing.locator(f'tr[data-ticket="{ticket.number}"]')
    expect(row.locator(".col-status .badge")).to_have_text("pending")
    phone.fill("#composer-input", "Export id exp_42.")
    phone.click("#composer-send")
    expect(row.locator(".col-status .badge")).to_have_text("open", timeout=2_000)
    expect(row).to_have_class(re.compile(r"row--needs-reply"))
    expect(row.locator(".live-count")).to_have_text("4 messages")
    listing.screenshot(path=str(screenshot_dir / "live_inbox_row_1280.png"), full_page=True)

    # An operator answers the other thread: the customer's sidebar marks it unread; the balance follows.
    from tickets import operators

    operators.ticket_reply(ticket=other, staff_user=staff.user, text="Usage keys carry scopes.")
    unread = phone.locator(f'.demo-session__button[data-session-id="{other.support_session_id}"]')
    expect(unread.locator(".live-unread")).to_have_text("New", timeout=2_000)
    open_ticket(customer, category="other", subject="A third one", body="Just checking.")
    expect(phone.locator("#agent-balance")).to_have_text("$0.17", timeout=2_000)
    expect(phone.locator(".demo-session--support")).to_have_count(3, timeout=2_000)
    phone.screenshot(path=str(screenshot_dir / "live_demo_unread_390.png"), full_page=True)

    # A new ticket on the list: the "N new" banner.
    expect(listing.locator(".live-banner")).to_contain_text("1 new ticket")
    listing.set_viewport_size(PHONE)
    listing.screenshot(path=str(screenshot_dir / "live_inbox_banner_390.png"), full_page=True)
    olivia.screenshot(path=str(screenshot_dir / "live_ticket_1280.png"), full_page=True)
    for page in (phone, olivia, second):
        page.context.close()
