"""Issue #15 items 4, 6, 9 in a real browser: the seeded non-superuser `operator` signs in through
Django admin's login page (reached from /admin/) and awards a bug bounty exactly once; the inbox
thread shows the timeline; search highlights. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.management import call_command

from billing.models import LedgerEntry
from support_project.celery import app as celery_app
from tests.conftest import make_agent
from tests.operators.conftest import open_ticket
from tickets import operators
from tickets.models import Ticket

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def eager_tasks():  # type: ignore[no-untyped-def]
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the bounty task runs in the live server's thread
    yield
    celery_app.conf.task_always_eager = saved


def _no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_seeded_operator_awards_a_bounty_from_django_admin_once(live_server, page, screenshot_dir, tmp_path,
                                                                     eager_tasks):
    from playwright.sync_api import expect

    out = tmp_path / "tokens.json"
    call_command("seed_demo", "--json", "--out", str(out), stdout=(tmp_path / "log").open("w"))
    assert json.loads(out.read_text())["staff_user"] == "operator"
    reporter = make_agent("Acme Robotics")
    bug = open_ticket(reporter, subject="Export <b>times out</b>", body="CSV export stops after 30 s.")

    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/django-admin/login/\?next=/django-admin/$"))
    page.fill("#id_username", "operator")
    page.fill("#id_password", "operator-demo")
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/django-admin/")
    expect(page.locator("#content")).to_contain_text("Tickets")
    expect(page.locator("#content")).not_to_contain_text("You don’t have permission")
    page.screenshot(path=str(screenshot_dir / "admin_operator_index.png"), full_page=True)

    page.click("tr.model-ticket th a")
    expect(page).to_have_url(f"{live_server.url}/django-admin/tickets/ticket/")
    for attempt in range(2):
        page.check(f"input[name=_selected_action][value='{bug.pk}']")
        page.select_option("select[name=action]", "confirm_bounty")
        page.click("button[name=index]")
        expected = ("Confirmed and queued the credit for 1 bounty." if attempt == 0 else
                    "Confirmed and queued the credit for 0 bounties; skipped 1 already confirmed or awarded.")
        expect(page.locator(".messagelist")).to_contain_text(expected)
    page.screenshot(path=str(screenshot_dir / "admin_operator_changelist.png"), full_page=True)
    assert list(LedgerEntry.objects.filter(kind="bug_bounty").values_list("reference", "created_by")) == [
        (bug.public_id, "operator")]
    assert Ticket.objects.get(pk=bug.pk).bounty_status == "awarded"

    # The read-only ticket page: no Save buttons; the transcript with its timeline events.
    page.goto(f"{live_server.url}/django-admin/tickets/ticket/{bug.pk}/change/")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.locator(".admin-transcript")).to_contain_text("[EVENT] System changed bounty: confirmed → awarded")
    expect(page.locator(".field-charged")).to_contain_text("$0.01")
    page.screenshot(path=str(screenshot_dir / "admin_operator_ticket.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshot_dir / "admin_operator_ticket_390.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_inbox_shows_the_timeline_and_highlighted_search_hits(live_server, page, screenshot_dir, staff,
                                                                   eager_tasks):
    from playwright.sync_api import expect

    acme = make_agent("Acme Robotics")
    ticket = open_ticket(acme, subject="Exports time out", body="The CSV export <script>x()</script> stops at 30 s.")
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Looking into it.")
    operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, priority="high", assignee="olivia")
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Escalated to engineering.", internal=True)
    operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, support_status="resolved")

    page.context.add_cookies([_session_cookie(live_server, staff)])
    page.goto(f"{live_server.url}/ui-traffic/tickets/{ticket.number}")
    events = page.locator(".thread .tl-event")
    expect(events).to_have_count(4)
    expect(events.nth(0)).to_contain_text("Olivia Operator changed status open → pending")
    expect(events.nth(3)).to_contain_text("changed status pending → resolved")
    expect(page.locator(".inbox-bar a[href='/django-admin/']")).to_have_text("Django admin")
    page.screenshot(path=str(screenshot_dir / "inbox_timeline_1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshot_dir / "inbox_timeline_390.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/ui-traffic?view=all&q=export")
    expect(page.locator(".inbox-table mark").first).to_have_text("Exports")
    expect(page.locator(".search-snippet mark")).to_have_text("export")
    assert page.locator("script:has-text('x()')").count() == 0
    page.fill("#f-q", "acme")
    page.click(".filters button[type=submit]")
    expect(page.locator(".col-agent mark")).to_have_text("Acme")
    page.screenshot(path=str(screenshot_dir / "inbox_search_1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshot_dir / "inbox_search_390.png"), full_page=True)


def _session_cookie(live_server: Any, staff: Any) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(staff.user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}


