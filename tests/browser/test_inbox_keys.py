"""The Support Inbox by keyboard, and on a phone: open the oldest waiting ticket with j/Enter, reply with
a saved reply, send and resolve; no element wider than a 390 px viewport on the list and ticket pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from demo_sessions.models import Message
from tests.conftest import make_agent
from tests.operators.conftest import open_ticket
from tickets import operators, queues, replies
from tickets.models import Ticket

# Every visible element's right edge, except those inside a box that scrolls sideways on purpose
# (code blocks, the tab strip): a page wider than the viewport scrolls horizontally.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > width + 1 && !scrolls(el)) {  // off to the left (the skip link) scrolls nothing
      wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


def _sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/ui-traffic/login")
    page.fill("#id_t-token", token)
    page.click("text=Sign in with token")


def _assert_fits(page: Any) -> None:
    result = page.evaluate(TOO_WIDE)
    assert result["scrollWidth"] <= result["width"], result
    assert result["wide"] == [], result


def _waiting(persona: Any, subject: str, *, hours: int, **extra: Any) -> Ticket:
    ticket = open_ticket(persona, subject=subject, **extra)
    Ticket.objects.filter(pk=ticket.pk).update(awaiting_since=timezone.now() - timedelta(hours=hours))
    return ticket


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_operator_answers_the_oldest_waiting_ticket_by_keyboard(live_server, page, screenshot_dir, staff):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded 2-core machine can take seconds per POST
    alice, bob = make_agent("Alice's agent"), make_agent("Bob's agent")
    _waiting(alice, "Export times out after 30 s", hours=3)
    oldest = _waiting(bob, "Webhook retries never stop", hours=26,
                      body="Our receiver returns **200** but deliveries retry: see https://example.com/log")
    _waiting(alice, "Charged twice for one ticket", hours=1, category="billing")
    replies.saved_reply_create(staff_user=staff.user, title="Fixed, thanks", set_status="resolved",
                               body="Hi {customer_name}, ticket {ticket_number} is fixed. — {operator_name}")
    replies.saved_reply_create(staff_user=staff.user, title="Need logs", body="Could you send the logs?")
    queues.saved_view_create(staff_user=staff.user, name="Open bugs", params={"view": "all", "category": "bug",
                                                                             "status": "open"})

    _sign_in(page, live_server.url, staff.token)
    expect(page).to_have_url(f"{live_server.url}/ui-traffic")
    rows = page.locator(".inbox-row")
    expect(rows).to_have_count(3)
    expect(page.locator(".tabs__tab[aria-current=page]")).to_contain_text("Needs reply 3")
    expect(rows.first).to_contain_text("Webhook retries never stop")
    expect(rows.first.locator(".waiting")).to_have_text("waiting 1\xa0day, 2\xa0hours")
    page.screenshot(path=str(screenshot_dir / "inbox_keys_list.png"), full_page=True)

    # ? shows the keys; Escape closes them.
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "inbox_keys_help.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()

    # / searches; Escape leaves the box.
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    page.keyboard.press("Escape")

    # j j k → the first row (the oldest wait); Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("inbox-row row--needs-reply is-selected")
    page.keyboard.press("k")
    expect(rows.first).to_have_class("inbox-row row--needs-reply is-selected")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/ui-traffic/tickets/{oldest.number}")
    expect(page.locator(".msg--user a[href='https://example.com/log']")).to_be_visible()  # Markdown, links
    expect(page.locator(".msg--user strong")).to_have_text("200")

    # a assigns to me.
    page.keyboard.press("a")
    expect(page.locator(".message--success")).to_contain_text("Updated: assignee — → olivia.")
    expect(page.locator(".action-bar")).to_contain_text("Assigned to you")

    # r → the reply box; s → the saved replies; pick one with the keyboard, Enter inserts it.
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("Hello. ")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator("#saved-reply")).to_be_focused()
    page.select_option("#saved-reply", label="Fixed, thanks (then resolved)")
    page.keyboard.press("Enter")
    expected = f"Hello. Hi Bob's agent, ticket #{oldest.number} is fixed. — Olivia Operator"
    expect(page.locator("#reply-text")).to_have_value(expected)
    expect(page.locator("#reply-text")).to_be_focused()
    expect(page.locator("#reply-support_status")).to_have_value("resolved")
    expect(page).to_have_url(f"{live_server.url}/ui-traffic/tickets/{oldest.number}")  # no reload
    page.screenshot(path=str(screenshot_dir / "inbox_keys_ticket.png"), full_page=True)

    # Ctrl+Shift+Enter: send and resolve.
    page.keyboard.press("Control+Shift+Enter")
    expect(page.locator(".message--success")).to_contain_text("Reply sent; the ticket is now resolved.")
    expect(page.locator(".ticket-head .badge--resolved")).to_have_text("resolved")
    expect(page.locator(".msg--operator").last).to_contain_text(expected)
    oldest.refresh_from_db()
    assert (oldest.status, oldest.awaiting_operator, oldest.assignee.username) == ("resolved", False, "olivia")
    assert Message.objects.filter(session_id=oldest.support_session_id, author="operator").count() == 1

    # u → back to the inbox, where it no longer needs a reply.
    page.keyboard.press("u")
    expect(page).to_have_url(f"{live_server.url}/ui-traffic")
    expect(rows).to_have_count(2)
    expect(page.locator(".tabs__tab[aria-current=page]")).to_contain_text("Needs reply 2")

    # n → an internal note; Ctrl+Enter sends it; e resolves.
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(page.locator("h1")).to_contain_text("Export times out after 30 s")
    page.keyboard.press("n")
    expect(page.locator("input[name=visibility][value=internal]")).to_be_checked()
    page.keyboard.type("Checked the export logs.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".message--success")).to_contain_text("Internal note added.")
    page.keyboard.press("e")
    expect(page.locator(".message--success")).to_contain_text("Updated: status open → resolved.")

    # The saved view.
    page.goto(f"{live_server.url}/ui-traffic")
    page.click(".saved-views a:has-text('Open bugs')")
    expect(rows).to_have_count(0)
    expect(page.locator(".saved-views__item--current")).to_contain_text("Open bugs")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_inbox_fits_a_390_px_phone(live_server, browser, screenshot_dir, staff):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded 2-core machine can take seconds per POST
    alice = make_agent("An agent with a rather long name that could push the layout wide")
    long_subject = "Exports-time-out-when-the-file-is-larger-than-ten-megabytes-and-nothing-else-helps"
    ticket = _waiting(alice, long_subject, hours=5, body=(
        "It fails with this trace:\n\n```\nTraceback (most recent call last): File \"/srv/app/export.py\", line 120,"
        " in run_export_job_with_a_long_name\n```\n\nAnd https://example.com/a/very/long/url/that/does/not/break/"
        "anywhere/at/all/because/it/is/one/word/of/text/0123456789012345678901234567890123456789"))
    _waiting(alice, "Second ticket", hours=2, category="billing")
    for i in range(3):
        operators.ticket_reply(ticket=ticket, staff_user=staff.user, text=f"Note {i}: checking.", internal=True)
    replies.saved_reply_create(staff_user=staff.user, title="A rather long saved reply title, to test", body="x")

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, live_server.url, staff.token)
        expect(page.locator(".inbox-row").first).to_be_visible()
        assert page.locator(".inbox-table thead").is_hidden()  # cards, not a table
        expect(page.locator(".inbox-row").first.locator(".col-status")).to_be_visible()
        expect(page.locator(".inbox-row").first.locator(".waiting")).to_be_visible()
        _assert_fits(page)
        page.screenshot(path=str(screenshot_dir / "inbox_phone_list.png"), full_page=True)

        for url in ("/ui-traffic?view=all", "/ui-traffic/replies"):
            page.goto(live_server.url + url)
            _assert_fits(page)
        page.screenshot(path=str(screenshot_dir / "inbox_phone_replies.png"), full_page=True)

        page.goto(f"{live_server.url}/ui-traffic/tickets/{ticket.number}")
        _assert_fits(page)
        bar = page.locator(".action-bar")
        expect(bar).to_be_visible()
        assert bar.evaluate("el => getComputedStyle(el).position") == "fixed"
        box = bar.bounding_box()
        assert box is not None and abs(box["y"] + box["height"] - 844) <= 1  # at the bottom of the screen
        expect(bar.locator("text=Reply")).to_be_visible()
        expect(bar.locator("text=Assign to me")).to_be_visible()
        expect(bar.locator("#bar-status")).to_be_visible()
        _assert_fits(page)
        page.screenshot(path=str(screenshot_dir / "inbox_phone_ticket.png"), full_page=False)
        page.screenshot(path=str(screenshot_dir / "inbox_phone_ticket_full.png"), full_page=True)
        bar.locator("text=Reply").click()
        expect(page).to_have_url(f"{live_server.url}/ui-traffic/tickets/{ticket.number}#composer-h")
        bar.locator("text=Assign to me").click()
        expect(page.locator(".message--success")).to_contain_text("assignee — → olivia")
        _assert_fits(page)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_desktop_pages_for_screenshots(live_server, page, screenshot_dir, staff):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded 2-core machine can take seconds per POST
    alice = make_agent("Alice's agent")
    ticket = _waiting(alice, "Export times out after 30 s", hours=4,
                      body="The CSV export stops at 30 seconds. Steps:\n\n1. Open *Exports*\n2. Click `CSV`")
    _waiting(alice, "Charged twice", hours=30, category="billing")
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Looking at the **export worker** now.",
                           internal=True)
    replies.saved_reply_create(staff_user=staff.user, title="Fixed, thanks", set_status="resolved",
                               body="Hi {customer_name}, {ticket_number} is fixed.")
    _sign_in(page, live_server.url, staff.token)
    page.goto(f"{live_server.url}/ui-traffic/tickets/{ticket.number}")
    expect(page.locator(".customer-card")).to_contain_text("Charged twice")
    _assert_fits(page)
    page.screenshot(path=str(screenshot_dir / "inbox_desktop_ticket.png"), full_page=True)
    page.goto(f"{live_server.url}/ui-traffic/replies")
    page.screenshot(path=str(screenshot_dir / "inbox_desktop_replies.png"), full_page=True)
