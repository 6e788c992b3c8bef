"""/demo on a 390 px phone while a live reply marks another thread "New" in the sidebar (static/js/live.js),
against the production web command: nothing sticks out past the viewport (see tests/browser/test_demo_phone.py
for the other states)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import browser, screenshot_dir  # noqa: F401 - fixtures
from tests.browser.test_demo_phone import LONG_URL, PHONE, assert_fits
from tests.conftest import make_agent
from tests.factories import open_ticket
from tickets import operators

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_a_live_unread_marker_keeps_demo_within_a_390_px_phone(
    web: str, browser: Any, screenshot_dir: Any, staff: Any  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    customer = make_agent("An agent with a rather long name that could push the layout wide")
    ticket = open_ticket(customer, subject="Exports-time-out-when-the-file-is-larger-than-ten-megabytes-always",
                         body=f"It fails, see {LONG_URL}")
    other = open_ticket(customer, category="other", subject="Another-question-about-usage-keys-and-their-scopes",
                        body="How do usage keys work?")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{web}/demo?session={ticket.support_session_id}")
        page.fill("#token-input", customer.token)
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#conversation-title")).to_have_text(ticket.subject)
        assert_fits(page, screenshot_dir, "live_thread")

        operators.ticket_reply(ticket=other, staff_user=staff.user, text="Usage keys carry scopes: " + LONG_URL)
        button = page.locator(f'.demo-session__button[data-session-id="{other.support_session_id}"]')
        expect(button.locator(".live-unread")).to_have_text("New", timeout=5_000)
        expect(button.locator(".demo-session__preview")).to_contain_text("Usage keys carry scopes")
        assert_fits(page, screenshot_dir, "live_unread")
    finally:
        context.close()
