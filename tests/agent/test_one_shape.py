"""One shape per object: REST, the agent's tools (chat and MCP) and webhook payloads render the same
serializer, with RFC 3339 UTC `Z` timestamps; tool input schemas are the argument serializers'."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from accounts.selectors import principal_for_token
from agent.tools import REGISTRY, ToolContext, tool_call
from support_project.domain import DomainError, InvalidInput
from tests.conftest import AgentPersona
from webhooks.models import Event

pytestmark = pytest.mark.django_db

Z_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _tool(persona: AgentPersona, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    principal = principal_for_token(raw_token=persona.token)
    assert principal is not None
    result = tool_call(name=name, arguments=arguments, context=ToolContext(principal=principal))
    return json.loads(json.dumps(result))  # what the MCP server sends


def _open(persona: AgentPersona) -> dict[str, Any]:
    response = persona.client.post("/api/v1/support/tickets", {
        "category": "bug", "subject": "Export times out", "body": "CSV export fails after 30 s."}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_rest_tools_and_webhook_payloads_render_the_same_ticket(agent_a: AgentPersona) -> None:
    created = _open(agent_a)
    rest = agent_a.client.get(f"/api/v1/support/tickets/{created['ticket_id']}").json()

    listed = _tool(agent_a, "list_support_tickets", {})["tickets"]
    got = _tool(agent_a, "get_support_ticket", {"ticket_id": created["ticket_id"]})
    event = json.loads(Event.objects.get(type="support.ticket_created").envelope)

    assert listed == [rest]
    assert got["ticket"] == rest
    assert event["data"]["ticket"] == rest
    for key in ("created_at", "updated_at", "last_activity_at"):
        assert Z_TIME.match(rest[key]), rest[key]
    # The create response is the same ticket in brief (plus the balance after the charge).
    assert {k: v for k, v in created.items() if k != "virtual_balance_usd"} == {
        k: rest[k] for k in created if k != "virtual_balance_usd"}


def test_rest_tools_and_webhook_payloads_render_the_same_message(agent_a: AgentPersona) -> None:
    created = _open(agent_a)
    session_id = created["support_session_id"]
    posted = _tool(agent_a, "append_support_message", {"support_session_id": session_id, "text": "Still failing."})
    rest = agent_a.client.get(f"/api/v1/demo/sessions/{session_id}").json()["messages"]
    thread = _tool(agent_a, "get_support_ticket", {"ticket_id": created["ticket_id"]})["messages"]
    event = json.loads(Event.objects.get(type="support.message_created").envelope)

    assert thread == rest
    assert posted["message"] == rest[-1] == event["data"]["message"]
    assert set(rest[-1]) == {"id", "author", "author_name", "text", "text_html", "created_at", "metadata",
                            "attachments"}
    assert Z_TIME.match(rest[-1]["created_at"])


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_tool_schema_is_its_argument_serializer(name: str) -> None:
    tool = REGISTRY[name]
    fields = tool.args().fields
    schema = tool.input_schema
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert list(schema["properties"]) == list(fields)
    assert schema.get("required", []) == [n for n, f in fields.items() if f.required]
    for field_name, prop in schema["properties"].items():
        max_length = getattr(fields[field_name], "max_length", None)
        limit = "maxItems" if prop["type"] == "array" else "maxLength"  # a list of objects: its length
        assert prop.get(limit) == max_length, (name, field_name)


@pytest.mark.parametrize(("name", "arguments", "field"), [
    ("submit_support_request", {"category": "bug", "subject": "x" * 121, "body": "b"}, "subject"),
    ("submit_support_request", {"category": "feature", "subject": "s", "body": "b"}, "category"),
    ("append_support_message", {"support_session_id": "a" * 32, "text": "t" * 10_001}, "text"),
    ("cookbook_search", {"query": ""}, "query"),
    ("agents_balance", {"extra": 1}, "extra"),
])
def test_what_a_schema_refuses_the_tool_refuses(agent_a: AgentPersona, name: str, arguments: dict[str, Any],
                                                field: str) -> None:
    principal = principal_for_token(raw_token=agent_a.token)
    assert principal is not None
    with pytest.raises(InvalidInput) as exc_info:
        tool_call(name=name, arguments=arguments, context=ToolContext(principal=principal))
    assert exc_info.value.code == "VALIDATION_ERROR"
    assert list(exc_info.value.details) == [field]
    assert isinstance(exc_info.value, DomainError)


def test_the_catalog_examples_have_the_real_payloads_keys(agent_a: AgentPersona) -> None:
    from webhooks.catalog import catalog_json

    created = _open(agent_a)
    _tool(agent_a, "append_support_message", {"support_session_id": created["support_session_id"], "text": "More."})
    examples = {entry["type"]: entry["example"]["data"] for entry in catalog_json()}
    for event_type in ("support.ticket_created", "support.message_created"):
        real = json.loads(Event.objects.get(type=event_type).envelope)["data"]
        example = examples[event_type]
        assert set(example) == set(real), event_type
        for key, value in real.items():
            assert set(example[key]) == set(value), (event_type, key)
