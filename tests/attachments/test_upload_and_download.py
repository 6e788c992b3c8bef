"""POST /api/v1/demo/sessions/{id}/attachments and GET /api/v1/attachments/{id}, on both storages."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import IdempotencyRecord, LedgerEntry
from demo_sessions.models import Attachment
from tests.conftest import AgentPersona
from webhooks.models import Event

from .conftest import Store, body_of, csv_file, upload

pytestmark = pytest.mark.django_db

CSV = b"id,total\n1,2.50\n"
KEYS = {"id", "filename", "content_type", "size", "sha256", "created_at"}


def test_it_stores_an_upload_and_serves_it_back_to_its_owner(agent_a: AgentPersona, thread: dict[str, Any],
                                                             store: Store) -> None:
    ledger_before = LedgerEntry.objects.count()
    response = upload(agent_a.client, thread["support_session_id"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == KEYS
    assert body["id"].startswith("att_") and body["created_at"].endswith("Z")
    assert (body["filename"], body["content_type"], body["size"]) == ("export.csv", "text/csv", len(CSV))
    assert body["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert response["Location"] == f"/api/v1/attachments/{body['id']}"
    row = Attachment.objects.get()
    assert (row.agent_id, row.session_id, row.message_id, row.uploader) == (
        agent_a.agent.id, thread["support_session_id"], None, "customer")
    assert store.keys() == [row.storage_key] and "export" not in row.storage_key  # never the client's name
    assert store.read(row.storage_key) == CSV
    assert LedgerEntry.objects.count() == ledger_before  # free

    download = agent_a.client.get(f"/api/v1/attachments/{body['id']}")
    assert download.status_code == 200
    assert body_of(download) == CSV
    assert download["Content-Type"] == "text/csv"
    assert download["Content-Disposition"] == "attachment; filename=\"export.csv\"; filename*=UTF-8''export.csv"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Length"] == str(len(CSV))


def test_a_message_carries_its_attachments_to_the_thread_and_the_event(agent_a: AgentPersona, thread: dict[str, Any],
                                                                       store: Store) -> None:
    sid = thread["support_session_id"]
    first, second = (upload(agent_a.client, sid, csv_file(name)).json() for name in ("a.csv", "b.csv"))
    response = agent_a.client.post(f"/api/v1/demo/sessions/{sid}/messages",
                                   {"text": "Logs attached.", "attachments": [first["id"], second["id"]]}, format="json")
    assert response.status_code == 201, response.content
    message = response.json()
    assert message["attachments"] == [first, second]
    assert set(Attachment.objects.values_list("message_id", flat=True)) == {message["id"]}
    event = Event.objects.filter(type="support.message_created").latest("seq")
    data = json.loads(event.envelope)["data"]
    assert data["message"]["attachments"] == [first, second]  # metadata, never bytes
    assert "id,total" not in event.envelope
    transcript = agent_a.client.get(f"/api/v1/demo/sessions/{sid}").json()["messages"]
    assert transcript[-1]["attachments"] == [first, second]
    assert transcript[0]["attachments"] == []


def test_a_downloaded_html_file_is_never_rendered(agent_a: AgentPersona, thread: dict[str, Any], fs_store: Store) -> None:
    page = SimpleUploadedFile("report.html", b"<script>alert(document.cookie)</script>", "text/html")
    body = upload(agent_a.client, thread["support_session_id"], page).json()
    assert body["content_type"] == "application/octet-stream"
    download = agent_a.client.get(f"/api/v1/attachments/{body['id']}", HTTP_ACCEPT="text/html")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment; ")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(("declared", "name", "stored"), [
    ("image/png", "shot.png", "image/png"),
    ("image/svg+xml", "logo.svg", "application/octet-stream"),
    ("application/octet-stream", "data.csv", "text/csv"),
    ("text/plain; charset=utf-8", "app.log", "text/plain"),
    ("application/x-msdownload", "tool.exe", "application/octet-stream"),
])
def test_only_allow_listed_content_types_are_kept(agent_a: AgentPersona, thread: dict[str, Any], fs_store: Store,
                                                  declared: str, name: str, stored: str) -> None:
    response = upload(agent_a.client, thread["support_session_id"], SimpleUploadedFile(name, b"x", declared))
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == stored


def test_a_non_ascii_name_is_kept_and_sent_as_filename_star(agent_a: AgentPersona, thread: dict[str, Any],
                                                           fs_store: Store) -> None:
    body = upload(agent_a.client, thread["support_session_id"], csv_file('rapport "été".csv')).json()
    assert body["filename"] == 'rapport "été".csv'
    download = agent_a.client.get(f"/api/v1/attachments/{body['id']}")
    assert download["Content-Disposition"] == (
        "attachment; filename=\"rapport __t__.csv\"; filename*=UTF-8''rapport%20%22%C3%A9t%C3%A9%22.csv")


def test_idempotency_key_replays_the_first_upload(agent_a: AgentPersona, thread: dict[str, Any], store: Store) -> None:
    sid = thread["support_session_id"]
    first = upload(agent_a.client, sid, HTTP_IDEMPOTENCY_KEY="up-1")
    again = upload(agent_a.client, sid, HTTP_IDEMPOTENCY_KEY="up-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1 and len(store.keys()) == 1
    other = upload(agent_a.client, sid, csv_file(data=b"other"), HTTP_IDEMPOTENCY_KEY="up-1")
    assert (other.status_code, other.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert Attachment.objects.count() == 1 and len(store.keys()) == 1  # the refused copy was removed
    assert IdempotencyRecord.objects.filter(key="up-1").count() == 1


def test_who_may_download(agent_a: AgentPersona, agent_b: AgentPersona, thread: dict[str, Any], staff: Any,
                          usage_key: Any, anon: Any, fs_store: Store) -> None:
    att = upload(agent_a.client, thread["support_session_id"]).json()["id"]
    url = f"/api/v1/attachments/{att}"
    assert agent_a.client.get(url).status_code == 200
    assert usage_key(["support"]).get(url).status_code == 200
    assert staff.client.get(url).status_code == 200
    other = agent_b.client.get(url)
    assert (other.status_code, other.json()["code"]) == (404, "NOT_FOUND")
    chat_only = usage_key(["chat"]).get(url)
    assert (chat_only.status_code, chat_only.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    nobody = anon.get(url)
    assert (nobody.status_code, nobody.json()["code"]) == (401, "AUTHENTICATION_REQUIRED")
    missing = agent_a.client.get("/api/v1/attachments/att_doesnotexist")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")


def test_who_may_upload(agent_a: AgentPersona, agent_b: AgentPersona, thread: dict[str, Any], usage_key: Any,
                        fs_store: Store) -> None:
    sid = thread["support_session_id"]
    assert upload(usage_key(["support"]), sid).status_code == 201
    chat_only = upload(usage_key(["chat"]), sid)
    assert (chat_only.status_code, chat_only.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    other = upload(agent_b.client, sid)
    assert (other.status_code, other.json()["code"]) == (404, "NOT_FOUND")
    enrich = agent_a.client.post("/api/v1/demo/sessions", {"title": "chat"}, format="json").json()["id"]
    on_chat = upload(agent_a.client, enrich)
    assert (on_chat.status_code, on_chat.json()["details"]) == (400, {"session_id": ["Must be one of your support threads."]})
    assert Attachment.objects.count() == 1 and len(fs_store.keys()) == 1
