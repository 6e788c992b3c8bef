"""/demo fits a 390 px phone: no element sticks out past the viewport, so the page never scrolls sideways,
in the states a customer sees — signed out, an empty chat, an enrich answer with a code block and a long
URL, a support thread with attachments, the close and rate panels, and a live "New" marker in the sidebar.
Screenshots at 390 px and 1280 px go to $SCREENSHOT_DIR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from demo_sessions.models import Author, SessionKind
from demo_sessions.services import enrich_session_create, message_append
from tests.conftest import make_agent
from tests.factories import open_ticket
from tickets import operators
from tickets.models import Ticket, TicketStatus

PHONE = {"width": 390, "height": 844}
LONG_URL = ("https://example.com/a/very/long/url/that/does/not/break/anywhere/at/all/because/it/is/one/word/"
            "0123456789012345678901234567890123456789")
LONG_ANSWER = (
    "Here is how to page through the ledger without timeouts, step by step:\n\n"
    "```\ncurl -sS -H \"Authorization: Bearer $TOKEN\" "
    "\"https://support.example.com/api/v1/agents/ledger?limit=100&cursor=eyJjcmVhdGVkX2F0IjoiMjAyNi0xMi0wMlQxMjowMDowMFoifQ\"\n"
    "```\n\n"
    f"The full reference is at {LONG_URL} and the recipe is `GET /api/v1/agents/ledger?limit=100&cursor=…`."
)
LONG_NAME = "usage-export-for-november-2026-with-every-single-day-and-every-endpoint-included.csv"

# Every visible element whose right edge is past the viewport, unless a box that fits the viewport and
# clips or scrolls sideways (a code block) holds it: such an element makes the whole page scroll sideways.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const held = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === "auto" || o === "scroll" || o === "hidden" || o === "clip")
          && p.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > width + 1 && !held(el)) {
      wide.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 12)};
}"""


# static/js/live.js applyUnread(), for one session id.
UNREAD = """(id) => {
  const button = document.querySelector(`.demo-session__button[data-session-id="${id}"]`);
  button.classList.add("demo-session__button--unread");
  const dot = document.createElement("span");
  dot.className = "live-unread";
  dot.textContent = "New";
  const top = button.querySelector(".demo-session__top") || button;
  top.insertBefore(dot, top.firstChild);
}"""


def assert_fits(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"demo_phone_{name}_390.png"), full_page=True)
    result = page.evaluate(TOO_WIDE)
    assert result["width"] == 390, result
    assert result["scrollWidth"] <= result["width"], (name, result)
    assert result["wide"] == [], (name, result)


def _desktop_shot(browser: Any, url: str, token: str, directory: Path, name: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(url)
        page.fill("#token-input", token)
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#composer-input")).to_be_visible()
        page.screenshot(path=str(directory / f"demo_phone_{name}_1280.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_never_scrolls_sideways_on_a_390_px_phone(live_server: Any, browser: Any, screenshot_dir: Path,
                                                       staff: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded 2-core machine can take seconds per request
    persona = make_agent("An agent with a rather long name that could push the layout wide")
    chat = enrich_session_create(agent=persona.agent, title="Paging the ledger-without-timeouts-or-500-errors")
    with transaction.atomic():
        message_append(session_id=chat.id, author=Author.USER, text="How do I page through the ledger?")
        message_append(session_id=chat.id, author=Author.ASSISTANT, text=LONG_ANSWER)
    ticket = open_ticket(persona, subject="Exports-time-out-when-the-file-is-larger-than-ten-megabytes-always",
                         body=f"It fails, see {LONG_URL}")
    other = open_ticket(persona, subject="Second ticket")
    sid = ticket.support_session_id

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        # Signed out, then the empty new chat.
        page.goto(f"{live_server.url}/demo")
        expect(page.locator("#token-input")).to_be_visible()
        assert_fits(page, screenshot_dir, "signin")
        page.fill("#token-input", persona.token)
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#composer-input")).to_be_visible()
        expect(page.locator("#intro")).to_be_visible()
        assert_fits(page, screenshot_dir, "empty")

        # The enrich chat: a rendered answer with a code block and a long link.
        page.locator(f'.demo-session__button[data-session-id="{chat.id}"]').click()
        answer = page.locator(".msg--assistant").last
        expect(answer.locator("pre")).to_be_visible()
        expect(answer.locator(f'a[href="{LONG_URL}"]').first).to_be_visible()
        assert_fits(page, screenshot_dir, "enrich")

        # The support thread, with files attached from the composer and sent.
        page.locator(f'.demo-session__button[data-session-id="{sid}"]').click()
        expect(page.locator("#attach-bar")).to_be_visible()
        expect(page.locator("#close-ticket-button")).to_be_visible()
        page.set_input_files("#attach-input", files=[
            {"name": LONG_NAME, "mimeType": "text/csv", "buffer": b"day,calls\n2026-11-30,0\n"},
            {"name": "chart.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"},
        ])
        expect(page.locator(".file-chip--ready")).to_have_count(2)
        assert_fits(page, screenshot_dir, "files_pending")
        page.fill("#composer-input", "Both files attached.")
        page.click("#composer-send")
        expect(page.locator(".msg--user").last.locator(".msg-file")).to_have_count(2)
        assert_fits(page, screenshot_dir, "thread_files")

        # A reply lands in the other thread: live.js puts a "New" marker in its sidebar button. The
        # stream needs the production server (tests/live/test_live_pages.py drives it for real); here
        # the marker is added with the same markup live.js's applyUnread() writes.
        operators.ticket_reply(ticket=other, staff_user=staff.user, text="We are on it — " + LONG_URL)
        page.evaluate(UNREAD, other.support_session_id)
        expect(page.locator(f'.demo-session__button[data-session-id="{other.support_session_id}"] .live-unread')
               ).to_have_text("New")
        assert_fits(page, screenshot_dir, "unread")

        # Close: the confirmation, then the rating form, then the stored rating.
        page.click("#close-ticket-button")
        expect(page.locator("#close-ticket-confirm")).to_be_visible()
        assert_fits(page, screenshot_dir, "close_confirm")
        page.click("#close-ticket-confirm")
        form = page.locator("#rating-form")
        expect(form).to_be_visible()
        form.locator("label[for=rating-score-4]").click()
        form.locator("#rating-comment").fill("Quick answer, thanks — " + LONG_URL)
        assert_fits(page, screenshot_dir, "rate")
        form.locator("#rating-send").click()
        expect(page.locator("#ticket-rating")).to_contain_text("4/5")
        assert_fits(page, screenshot_dir, "rated")
        assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED
    finally:
        context.close()

    for name, url in (("enrich", f"/demo?session={chat.id}"), ("rated", f"/demo?session={sid}")):
        _desktop_shot(browser, live_server.url + url, persona.token, screenshot_dir, name)
    assert chat.session_kind == SessionKind.ENRICH
