"""The Support Inbox in a real browser: sign in with a staff token, triage, reply, confirm a bounty."""

from __future__ import annotations

import re

import pytest

from support_project.celery import app as celery_app
from tests.conftest import make_agent
from tests.operators.conftest import open_ticket
from tickets import operators


@pytest.fixture
def eager_tasks():  # type: ignore[no-untyped-def]
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the bounty task runs in the live server's thread
    yield
    celery_app.conf.task_always_eager = saved


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_operator_triages_replies_and_awards_a_bounty(live_server, page, screenshot_dir, staff, eager_tasks):
    from playwright.sync_api import expect

    alice, bob = make_agent("Alice's agent"), make_agent("Bob's agent")
    open_ticket(alice, subject="Export times out after 30 s", body="The CSV export stops at 30 seconds.")
    webhook = open_ticket(bob, subject="Webhook retries never stop",
                          body="Our receiver returns 200 but deliveries keep retrying every minute.")
    billing = open_ticket(alice, category="billing", subject="Charged twice for one ticket",
                          body="I see two $0.01 charges <script>alert(1)</script>")
    operators.ticket_update_by_staff(ticket=billing, staff_user=staff.user, support_status="resolved")

    page.goto(f"{live_server.url}/ui-traffic")
    expect(page).to_have_url(re.compile(r"/ui-traffic/login\?next=/ui-traffic$"))
    page.screenshot(path=str(screenshot_dir / "inbox_signin.png"), full_page=True)
    page.fill("#id_t-token", staff.token)
    page.click("text=Sign in with token")
    expect(page).to_have_url(f"{live_server.url}/ui-traffic")
    expect(page.locator(".inbox-bar__who")).to_contain_text("Olivia Operator")
    rows = page.locator(".inbox-table tbody tr")
    expect(rows).to_have_count(2)  # Needs reply: the resolved billing ticket is answered
    expect(page.locator(".tabs__tab[aria-current=page]")).to_contain_text("Needs reply 2")
    page.click(".tabs__tab:has-text('All')")
    expect(rows).to_have_count(3)
    expect(page.locator(".tabs__tab[aria-current=page]")).to_contain_text("All 3")
    expect(page.locator(".inbox-table")).to_contain_text("Charged twice for one ticket")
    page.screenshot(path=str(screenshot_dir / "inbox_list.png"), full_page=True)

    # Open bugs only.
    page.select_option("#f-status", "open")
    page.select_option("#f-category", "bug")
    page.click(".filters button[type=submit]")
    expect(rows).to_have_count(2)
    expect(page.locator(".tabs__tab[aria-current=page]")).to_contain_text("All 2")

    # Full-text search over the body.
    page.fill("#f-q", "receiver deliveries")
    page.click(".filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Webhook retries never stop")
    expect(rows.first.locator(".needs-reply")).to_be_visible()
    rows.first.locator("a").first.click()
    expect(page).to_have_url(f"{live_server.url}/ui-traffic/tickets/{webhook.number}")
    expect(page.locator("h1")).to_contain_text("Webhook retries never stop")
    expect(page.locator(".balance")).to_have_text("$0.19")

    # A public reply: the ticket waits on the customer.
    page.fill("#reply-text", "Thanks — we reproduced it and are on it.")
    page.click(".composer button[type=submit]")
    expect(page.locator(".message--success")).to_contain_text("Reply sent; the ticket is now pending.")
    expect(page.locator(".ticket-head .badge--pending")).to_have_text("pending")
    expect(page.locator(".msg--operator").last).to_contain_text("we reproduced it")

    # An internal note: marked, staff only, status unchanged.
    page.fill("#reply-text", "Retry loop in dispatch; see PR 42.")
    page.check("input[name=visibility][value=internal]")
    page.click(".composer button[type=submit]")
    expect(page.locator(".message--success")).to_contain_text("Internal note added.")
    note = page.locator(".msg--internal")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Internal note · staff only")
    expect(note).to_contain_text("Retry loop in dispatch")
    expect(page.locator(".ticket-head .badge--pending")).to_be_visible()

    # Status, assignee and priority.
    page.select_option("#ticket-support_status", "resolved")
    page.select_option("#ticket-assignee", "olivia")
    page.select_option("#ticket-priority", "high")
    page.click("text=Save changes")
    expect(page.locator(".message--success")).to_contain_text("status pending → resolved")
    expect(page.locator(".ticket-head .badge--resolved")).to_have_text("resolved")

    # Confirm the bounty: credited once, visible in the balance and the thread.
    page.fill("#bounty-note", "Confirmed in staging")
    page.click("button[value=confirm]")
    expect(page.locator(".message--success")).to_contain_text("Bounty confirmed and $1.00 credited.")
    expect(page.locator(".bounty-card .bounty--awarded")).to_be_visible()
    expect(page.locator(".balance")).to_have_text("$1.19")
    expect(page.locator(".msg--system").last).to_contain_text("Bug bounty of $1.00 credited")
    expect(page.locator("button[value=confirm]")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "inbox_ticket.png"), full_page=True)

    # The escaped billing ticket, for the screenshot of a page with hostile text.
    page.goto(f"{live_server.url}/ui-traffic/tickets/{billing.number}")
    expect(page.locator(".msg--user").first).to_contain_text("I see two $0.01 charges")
    assert page.locator(".msg--user script").count() == 0  # raw HTML is dropped by the sanitiser
    page.screenshot(path=str(screenshot_dir / "inbox_ticket_billing.png"), full_page=True)

    # Sign out.
    page.click("text=Sign out")
    expect(page).to_have_url(f"{live_server.url}/ui-traffic/login")
    page.goto(f"{live_server.url}/ui-traffic")
    expect(page).to_have_url(re.compile(r"/ui-traffic/login"))
    assert bob.balance_micros == 1_190_000
