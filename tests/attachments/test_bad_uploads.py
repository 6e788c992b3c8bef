"""Every bad upload is a clear error in the SPEC envelope and leaves no row and no stored object."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo_sessions.models import Attachment
from tests.conftest import AgentPersona

from .conftest import Store, csv_file, upload

pytestmark = pytest.mark.django_db

BOUNDARY = "----attachtest"


def raw_multipart(client: Any, session_id: str, parts: list[tuple[str, str | None, bytes]], **extra: Any) -> Any:
    """A hand-built body, so names the test client would clean up reach the server as sent."""
    chunks = []
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: text/plain\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    body = b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()
    return client.generic("POST", f"/api/v1/demo/sessions/{session_id}/attachments", body,
                          content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra)


@pytest.fixture(autouse=True)
def nothing_left(fs_store: Store) -> Any:
    yield
    assert Attachment.objects.count() == 0
    assert fs_store.keys() == []


def _error(response: Any) -> tuple[int, str, Any]:
    body = response.json()
    assert set(body) == {"code", "message", "details", "request_id"}
    return response.status_code, body["code"], body["details"]


@pytest.mark.parametrize(("filename", "reason"), [
    ("../../etc/passwd", "The file name must not contain path separators (/ or \\)."),
    ("C:\\\\Users\\\\me\\\\log.txt", "The file name must not contain path separators (/ or \\)."),
    ("bell\x07.txt", "The file name must not contain control characters."),
    ("tab\there.txt", "The file name must not contain control characters."),
    ("..", "The file name must be a name, not . or .."),
    ("x" * 256, "The file name is longer than 255 characters."),
])
def test_bad_file_names_are_refused(agent_a: AgentPersona, thread: dict[str, Any], filename: str, reason: str) -> None:
    response = raw_multipart(agent_a.client, thread["support_session_id"], [("file", filename, b"data")])
    assert _error(response) == (400, "VALIDATION_ERROR", {"file": [reason]})


def test_an_empty_file_is_refused(agent_a: AgentPersona, thread: dict[str, Any]) -> None:
    response = upload(agent_a.client, thread["support_session_id"], SimpleUploadedFile("empty.log", b"", "text/plain"))
    assert _error(response) == (400, "VALIDATION_ERROR", {"file": ["The file is empty."]})


def test_no_file_is_refused(agent_a: AgentPersona, thread: dict[str, Any]) -> None:
    response = raw_multipart(agent_a.client, thread["support_session_id"], [])
    assert _error(response) == (400, "VALIDATION_ERROR", {"file": ["No file was submitted."]})


def test_unknown_fields_are_refused(agent_a: AgentPersona, thread: dict[str, Any]) -> None:
    sid = thread["support_session_id"]
    text_field = raw_multipart(agent_a.client, sid, [("note", None, b"hi"), ("file", "a.txt", b"data")])
    assert _error(text_field) == (400, "VALIDATION_ERROR", {"note": ["Unknown field."]})
    other_file = raw_multipart(agent_a.client, sid, [("upload", "a.txt", b"data")])
    assert _error(other_file) == (400, "VALIDATION_ERROR", {"upload": ["Unknown field."]})
    two = raw_multipart(agent_a.client, sid, [("file", "a.txt", b"data"), ("file", "b.txt", b"data")])
    assert _error(two) == (400, "VALIDATION_ERROR", {"file": ["Send exactly one file."]})


def test_a_json_body_is_unsupported(agent_a: AgentPersona, thread: dict[str, Any]) -> None:
    response = agent_a.client.post(f"/api/v1/demo/sessions/{thread['support_session_id']}/attachments",
                                   {"file": "aGVsbG8="}, format="json")
    assert _error(response)[:2] == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_malformed_body_is_refused(agent_a: AgentPersona, thread: dict[str, Any]) -> None:
    response = agent_a.client.generic("POST", f"/api/v1/demo/sessions/{thread['support_session_id']}/attachments",
                                      b"not multipart at all", content_type="multipart/form-data")
    assert _error(response)[:2] == (400, "VALIDATION_ERROR")


def test_a_file_over_the_limit_is_refused_while_streaming(agent_a: AgentPersona, thread: dict[str, Any],
                                                         settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = upload(agent_a.client, thread["support_session_id"], csv_file(data=b"x" * 1001))
    assert _error(response) == (413, "PAYLOAD_TOO_LARGE", {"file": ["Ensure the file has at most 1000 bytes."]})


def test_a_declared_body_over_the_limit_is_refused_before_reading(agent_a: AgentPersona, thread: dict[str, Any],
                                                                  settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = upload(agent_a.client, thread["support_session_id"], csv_file(data=b"x" * 200_000))
    assert _error(response)[:2] == (413, "PAYLOAD_TOO_LARGE")


def test_the_per_ticket_total_is_enforced(agent_a: AgentPersona, thread: dict[str, Any], settings: Any,
                                          fs_store: Store) -> None:
    settings.ATTACHMENT_MAX_TOTAL_BYTES = 1500
    sid = thread["support_session_id"]
    first = upload(agent_a.client, sid, csv_file(data=b"a" * 1000))
    assert first.status_code == 201
    second = upload(agent_a.client, sid, csv_file(data=b"b" * 600))
    assert _error(second) == (413, "PAYLOAD_TOO_LARGE",
                              {"file": ["Ensure the ticket's attachments total has at most 500 bytes."]})
    Attachment.objects.all().delete()  # the first one is fine; the fixture checks the rest
    for key in fs_store.keys():
        (fs_store.root / key).unlink()  # type: ignore[operator]
