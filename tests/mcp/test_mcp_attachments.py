"""`append_support_message` over MCP with small files inline as base64 (same limits as uploads)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from agent.tools import REGISTRY
from demo_sessions.models import Attachment, Message
from tests.conftest import make_agent

from .conftest import call

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _structured(result: Any) -> dict[str, Any]:
    return dict(json.loads(result.content[0].text))


def _thread(token: str, url: str) -> str:
    created = _structured(call(url, token, "submit_support_request", {
        "category": "bug", "subject": "Chart is blank", "body": "The usage chart renders empty."}))
    return str(created["support_session_id"])


def test_the_schema_states_the_small_file_limit() -> None:
    schema = REGISTRY["append_support_message"].input_schema
    files = schema["properties"]["attachments"]
    assert files["maxItems"] == 3
    assert "128 KiB" in files["description"] and "131072 bytes" in files["description"]
    assert files["items"]["required"] == ["filename", "content_base64"]


def test_a_follow_up_carries_small_files(mcp_url: str) -> None:
    agent = make_agent("Screenshotter")
    sid = _thread(agent.token, mcp_url)
    result = call(mcp_url, agent.token, "append_support_message", {
        "support_session_id": sid, "text": "Screenshot attached.",
        "attachments": [{"filename": "chart.png", "content_type": "image/png",
                         "content_base64": base64.b64encode(PNG).decode()}]})
    assert not result.is_error, result.content
    body = _structured(result)
    [meta] = body["message"]["attachments"]
    assert (meta["filename"], meta["content_type"], meta["size"]) == ("chart.png", "image/png", len(PNG))
    assert meta["sha256"] == hashlib.sha256(PNG).hexdigest()
    row = Attachment.objects.get(id=meta["id"])
    assert (row.message_id, row.uploader) == (body["message"]["id"], "customer")


@pytest.mark.parametrize(("item", "code", "details"), [
    ({"filename": "big.bin", "content_base64": base64.b64encode(b"x" * (128 * 1024 + 1)).decode()},
     "PAYLOAD_TOO_LARGE", {"file": ["Ensure the inline file has at most 131072 bytes."]}),
    ({"filename": "a.txt", "content_base64": "not base64!"}, "VALIDATION_ERROR",
     {"attachments[0].content_base64": ["Not valid base64."]}),
    ({"filename": "../a.txt", "content_base64": "aGk="}, "VALIDATION_ERROR",
     {"attachments[0].filename": ["The file name must not contain path separators (/ or \\)."]}),
    ({"filename": "a.txt", "content_base64": ""}, "VALIDATION_ERROR",
     {"attachments": {"0": {"content_base64": ["This field may not be blank."]}}}),
    ({"filename": "a.txt", "content_base64": "aGk=", "url": "x"}, "VALIDATION_ERROR",
     {"attachments": {"0": {"url": ["Unknown field."]}}}),
])
def test_bad_inline_files_are_tool_errors_and_write_nothing(mcp_url: str, item: dict[str, Any], code: str,
                                                            details: dict[str, Any]) -> None:
    agent = make_agent("Sloppy uploader")
    sid = _thread(agent.token, mcp_url)
    messages = Message.objects.filter(session_id=sid).count()
    result = call(mcp_url, agent.token, "append_support_message",
                  {"support_session_id": sid, "text": "files", "attachments": [item]})
    assert result.is_error
    error = _structured(result)
    assert (error["code"], error["details"]) == (code, details)
    assert Message.objects.filter(session_id=sid).count() == messages
    assert Attachment.objects.filter(session_id=sid).count() == 0


def test_a_refused_message_removes_the_files_it_brought(mcp_url: str) -> None:
    agent = make_agent("Closer")
    sid = _thread(agent.token, mcp_url)
    from tickets.models import Ticket

    Ticket.objects.filter(support_session_id=sid).update(status="closed")
    result = call(mcp_url, agent.token, "append_support_message", {
        "support_session_id": sid, "text": "one more",
        "attachments": [{"filename": "a.txt", "content_base64": "aGk="}]})
    assert result.is_error and _structured(result)["code"] == "TICKET_CLOSED"
    assert Attachment.objects.filter(session_id=sid).count() == 0
