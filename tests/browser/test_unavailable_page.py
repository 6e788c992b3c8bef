"""Issue 16 item 7 in a real browser: the 503 page an operator sees while the database is busy
(a table held under ACCESS EXCLUSIVE, a short lock_timeout) loads under the strict CSP with no
violations, at desktop and phone widths. Screenshots: $SCREENSHOT_DIR/unavailable-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.conftest import StaffPersona
from tests.hardening.conftest import db_options
from tests.hardening.test_database_trouble_pages import FRIENDLY, table_locked

from .test_csp import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.postgres,
              pytest.mark.timeout(120)]


def _console_errors(page: Any) -> list[str]:
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # the document's own 503 is logged as a failed load; Chromium's /favicon.ico probe isn't ours
        if message.type == "error" and "503" not in message.text \
                and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_the_inbox_shows_the_friendly_503_page_cleanly(live_server: Any, browser: Any, staff: StaffPersona,
                                                        screenshot_dir: Path) -> None:
    client = Client()
    client.force_login(staff.user)
    with db_options(options="-c lock_timeout=300 -c statement_timeout=5000"), table_locked("tickets_ticket"):
        for width, name in ((1280, "desktop"), (390, "phone")):
            context = browser.new_context(viewport={"width": width, "height": 800})
            context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                  "url": live_server.url}])
            context.add_init_script(WATCH)
            page = context.new_page()
            errors = _console_errors(page)
            response = page.goto(live_server.url + "/ui-traffic", wait_until="networkidle")
            page.wait_for_timeout(200)  # violations are reported asynchronously
            errors += page.evaluate("window.__csp")
            assert response is not None and response.status == 503
            assert int(response.headers["retry-after"]) >= 1
            assert page.locator("main h1").inner_text() == "Briefly unavailable"
            assert FRIENDLY in page.locator("main").inner_text()
            assert errors == []
            page.screenshot(path=str(screenshot_dir / f"unavailable-{name}.png"), full_page=True)
            context.close()
