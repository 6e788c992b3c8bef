"""Attachments in a real browser: a customer attaches files on /demo (button and drag-and-drop), the
operator sees them in the inbox (thumbnail, names, sizes) and answers with a file the customer
downloads; an uploaded .html is downloaded, never rendered."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest

from demo_sessions.models import Attachment, Message
from tests.conftest import make_agent
from tests.operators.conftest import open_ticket


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


SCREENSHOT = solid_png(160, 100, (40, 110, 220))
HTML = b"<html><body><script>alert('xss')</script><h1 id=owned>rendered</h1></body></html>"


def _shots(page: Any, directory: Any, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(directory / f"{name}_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(directory / f"{name}_390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_uploads_on_demo_and_the_operator_sees_it(live_server: Any, page: Any, screenshot_dir: Any,
                                                             staff: Any) -> None:
    from playwright.sync_api import Error, expect

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    alice = make_agent("Alice's agent")
    ticket = open_ticket(alice, subject="Usage chart is blank", body="The usage chart renders empty since Monday.")
    sid = ticket.support_session_id

    page.goto(f"{live_server.url}/demo?session={sid}")
    page.fill("#token-input", alice.token)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#conversation-title")).to_have_text("Usage chart is blank")
    expect(page.locator("#attach-bar")).to_be_visible()

    page.set_input_files("#attach-input", files=[
        {"name": "chart.png", "mimeType": "image/png", "buffer": SCREENSHOT},
        {"name": "report.html", "mimeType": "text/html", "buffer": HTML},
    ])
    dropped = page.evaluate_handle("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["day,calls\\n2026-11-30,0\\n"], "usage.csv", {type: "text/csv"}));
        return dt;
    }""")
    page.dispatch_event("#composer", "drop", {"dataTransfer": dropped})
    expect(page.locator(".file-chip--ready")).to_have_count(3)
    page.fill("#composer-input", "Screenshot, the page and the CSV attached.")
    _shots(page, screenshot_dir, "attach_demo_composer")
    page.click("#composer-send")
    sent = page.locator(".msg--user").last
    expect(sent.locator(".msg-file")).to_have_count(3)
    expect(sent).to_contain_text("chart.png")
    expect(sent).to_contain_text("usage.csv")
    expect(page.locator(".file-chip")).to_have_count(0)
    _shots(page, screenshot_dir, "attach_demo_thread")

    message = Message.objects.get(session_id=sid, text="Screenshot, the page and the CSV attached.")
    files = {a.filename: a for a in message.attachments.all()}
    assert sorted(files) == ["chart.png", "report.html", "usage.csv"]
    assert files["report.html"].content_type == "application/octet-stream"

    # The operator signs in and sees the files in the thread.
    page.goto(f"{live_server.url}/ui-traffic/login")
    page.fill("#id_t-token", staff.token)
    page.click("text=Sign in with token")
    page.goto(f"{live_server.url}/ui-traffic/tickets/{ticket.number}")
    thumb = page.locator(f"img.msg-file__thumb[src$='/{files['chart.png'].id}/preview']")
    expect(thumb).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 160
    files_box = page.locator(".msg--user .msg-files").last
    expect(files_box).to_contain_text("usage.csv")
    expect(files_box).to_contain_text("report.html")
    _shots(page, screenshot_dir, "attach_inbox_ticket")

    # The uploaded .html is a download, never a page.
    with page.expect_download() as info:
        try:
            page.goto(f"{live_server.url}/ui-traffic/attachments/{files['report.html'].id}")
        except Error:
            pass  # "Download is starting": the navigation turned into a download, as it must
    assert info.value.suggested_filename == "report.html"
    assert dialogs == []

    # The operator answers with a file; the customer downloads it from /demo.
    page.goto(f"{live_server.url}/ui-traffic/tickets/{ticket.number}")
    page.fill("textarea[name=text]", "Found it: the chart skips days with zero calls. Fixed data attached.")
    page.set_input_files("#reply-files", files=[{"name": "fixed.csv", "mimeType": "text/csv",
                                                 "buffer": b"day,calls\n2026-11-30,12\n"}])
    page.click(".composer button[type=submit]")
    expect(page.locator(".msg--operator").last.locator(".msg-file")).to_contain_text("fixed.csv")
    assert Attachment.objects.filter(filename="fixed.csv", uploader="staff", message__internal=False).count() == 1

    page.goto(f"{live_server.url}/demo?session={sid}")
    reply = page.locator(".msg--operator").last
    expect(reply.locator(".msg-file__name")).to_have_text("fixed.csv")
    with page.expect_download() as info:
        reply.locator(".msg-file__name").click()
    download = info.value
    assert download.suggested_filename == "fixed.csv"
    with open(download.path(), "rb") as handle:
        assert handle.read() == b"day,calls\n2026-11-30,12\n"
    expect(page).to_have_url(re.compile(rf"/demo\?session={sid}$"))
    assert dialogs == []
