"""Attachments on pages: the inbox thread (thumbnails, names, sizes), the operators' reply form with
files, the staff-only file routes, and the Django admin list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from demo_sessions.models import Attachment, Message
from tests.conftest import AgentPersona
from tickets.models import Ticket

from .conftest import Store, body_of, csv_file, upload

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"


@pytest.fixture
def operator(staff: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.user)
    return client


def _ticket_page(client: Client, number: int) -> str:
    response = client.get(f"{INBOX}/tickets/{number}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_inbox_thread_shows_thumbnails_and_file_names(agent_a: AgentPersona, thread: dict[str, Any],
                                                          operator: Client, fs_store: Store) -> None:
    sid = thread["support_session_id"]
    png = upload(agent_a.client, sid, SimpleUploadedFile("screen.png", PNG, "image/png")).json()
    log = upload(agent_a.client, sid, csv_file("app<1>.log", b"x" * 2048, "text/plain")).json()
    agent_a.client.post(f"/api/v1/demo/sessions/{sid}/messages", {"text": "Both.", "attachments": [png["id"], log["id"]]},
                        format="json")
    html = _ticket_page(operator, thread["number"])
    assert f'src="/ui-traffic/attachments/{png["id"]}/preview"' in html
    assert f'/ui-traffic/attachments/{log["id"]}/preview' not in html  # no thumbnail for a log
    assert "app&lt;1&gt;.log" in html and "app<1>" not in html
    assert "2.0\xa0KB" in html
    preview = operator.get(f"/ui-traffic/attachments/{png['id']}/preview")
    assert (preview.status_code, preview["Content-Type"]) == (200, "image/png")
    assert preview["Content-Disposition"].startswith("inline; ") and preview["X-Content-Type-Options"] == "nosniff"
    assert body_of(preview) == PNG
    assert operator.get(f"/ui-traffic/attachments/{log['id']}/preview").status_code == 404
    download = operator.get(f"/ui-traffic/attachments/{log['id']}")
    assert download["Content-Disposition"].startswith("attachment; ") and body_of(download) == b"x" * 2048


def test_the_staff_file_routes_are_staff_only(agent_a: AgentPersona, thread: dict[str, Any], django_user_model: Any,
                                              fs_store: Store) -> None:
    att = upload(agent_a.client, thread["support_session_id"]).json()["id"]
    anonymous = Client().get(f"/ui-traffic/attachments/{att}")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/ui-traffic/login")
    customer = Client()
    customer.force_login(django_user_model.objects.create_user(username="carl", password="pw-carl-1"))
    assert customer.get(f"/ui-traffic/attachments/{att}").status_code == 403


def test_an_operator_attaches_files_to_a_reply_and_an_internal_note(agent_a: AgentPersona, thread: dict[str, Any],
                                                                    operator: Client, fs_store: Store) -> None:
    page = _ticket_page(operator, thread["number"])
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="files"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    url = f"{INBOX}/tickets/{thread['number']}/reply"
    reply = operator.post(url, {"text": "Fixed, see both.", "visibility": "public", "csrfmiddlewaretoken": token,
                                "files": [csv_file("a.csv"), csv_file("b.csv")]})
    assert reply.status_code == 302
    note = operator.post(url, {"text": "Raw dump.", "visibility": "internal", "csrfmiddlewaretoken": token,
                               "files": [csv_file("dump.csv")]})
    assert note.status_code == 302
    public_msg = Message.objects.get(text="Fixed, see both.")
    internal_msg = Message.objects.get(text="Raw dump.")
    assert sorted(a.filename for a in public_msg.attachments.all()) == ["a.csv", "b.csv"]
    assert [a.filename for a in internal_msg.attachments.all()] == ["dump.csv"]
    assert set(Attachment.objects.values_list("uploader", flat=True)) == {"staff"}
    customer_view = agent_a.client.get(f"/api/v1/demo/sessions/{thread['support_session_id']}").content.decode()
    assert "a.csv" in customer_view and "dump.csv" not in customer_view
    assert len(fs_store.keys()) == 3


def test_a_refused_reply_stores_none_of_its_files(agent_a: AgentPersona, thread: dict[str, Any], operator: Client,
                                                  staff: Any, fs_store: Store, settings: Any) -> None:
    page = _ticket_page(operator, thread["number"])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    url = f"{INBOX}/tickets/{thread['number']}/reply"
    no_csrf = Client(enforce_csrf_checks=True)
    no_csrf.force_login(staff.user)
    assert no_csrf.post(url, {"text": "x", "visibility": "public", "files": [csv_file()]}).status_code == 403
    Ticket.objects.filter(public_id=thread["ticket_id"]).update(status="closed")
    # The files are stored before the reply is refused (closed → pending isn't a move): then removed.
    bad_status = operator.post(url, {"text": "x", "visibility": "public", "support_status": "pending",
                                     "csrfmiddlewaretoken": token, "files": [csv_file()]}, follow=True)
    assert "Reply not sent." in bad_status.content.decode()
    settings.ATTACHMENT_MAX_BYTES = 100
    too_big = operator.post(url, {"text": "x", "visibility": "public", "csrfmiddlewaretoken": token,
                                  "files": [csv_file(data=b"y" * 101)]}, follow=True)
    assert "Reply not sent." in too_big.content.decode() and "at most 100 bytes" in too_big.content.decode()
    assert Attachment.objects.count() == 0 and fs_store.keys() == []
    assert Message.objects.filter(session_id=thread["support_session_id"]).count() == 1


def test_the_django_admin_lists_attachments(agent_a: AgentPersona, thread: dict[str, Any], admin_client: Client,
                                            fs_store: Store) -> None:
    att = upload(agent_a.client, thread["support_session_id"], csv_file("quarterly.csv")).json()["id"]
    listing = admin_client.get("/django-admin/demo_sessions/attachment/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert att in html and "quarterly.csv" in html and f"/ui-traffic/attachments/{att}" in html
    assert admin_client.get(f"/django-admin/demo_sessions/attachment/{att}/change/").status_code == 200
