"""Issue 16 item 14: /openapi.json says exactly what the server enforces, so generated clients
and fuzzers agree with it (tests/fuzz runs schemathesis against the same document)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

KEY_PATTERN = r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$"


@pytest.fixture(scope="module")
def doc(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/openapi.json").json()


def _operations(doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method.upper(), operation


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def test_limit_and_cursor_have_their_bounds(doc):
    seen = 0
    for path, method, operation in _operations(doc):
        for param in operation.get("parameters", []):
            if param["in"] == "query" and param["name"] == "limit":
                assert (param["schema"]["type"], param["schema"]["minimum"], param["schema"]["maximum"]) == (
                    "integer", 1, 100), (method, path)
                seen += 1
            if param["in"] == "query" and param["name"] == "cursor":
                assert param["schema"]["minLength"] == 1, (method, path)
    assert seen >= 6


def test_every_request_body_refuses_unknown_fields(doc):
    seen = 0
    for path, method, operation in _operations(doc):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            schema = _resolve(doc, content["schema"])
            assert schema.get("additionalProperties") is False, (method, path)
            seen += 1
    assert seen >= 10


def test_every_creating_post_documents_the_idempotency_key(doc):
    minting = {"/api/v1/agents", "/api/v1/agents/usage-keys"}  # return a new token: they refuse the header
    for path, method, operation in _operations(doc):
        if method != "POST" or "201" not in operation["responses"] or path in minting:
            continue
        (param,) = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert param["in"] == "header"
        assert param["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN}, path


def test_the_key_pattern_matches_what_the_server_accepts():
    from billing.idempotency import clean_key

    pattern = re.compile(KEY_PATTERN)
    for key in ("a", "order-42", "A b", "~!@#$%^&*()", "x" * 255):
        assert pattern.match(key) and clean_key(key) == key
    for key in (" a", "a ", "", "   ", "tab\tkey"):
        assert not pattern.match(key)


def test_field_formats(doc):
    schemas = doc["components"]["schemas"]
    ticket_in = schemas["TicketCreateInRequest"]["properties"]["source_session_id"]
    assert ticket_in["pattern"] == "^[0-9a-f]{32}$"
    for name in ("StaffTicketUpdateInRequest", "PatchedStaffTicketUpdateInRequest"):
        if name in schemas:
            assert schemas[name]["properties"]["assignee"]["pattern"] == r"^[\w.@+-]+$"


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/agents/usage-keys", {"label": 0, "scopes": ["support"]}),
    ("/api/v1/event-callbacks/subscriptions", {"label": 0, "event_types": ["support.ticket_created"],
                                               "callback_url": "https://hooks.example.com/in"}),
])
def test_a_number_is_not_a_label(agent_a, url, body):
    from accounts.models import ApiToken
    from webhooks.models import Subscription

    before = (ApiToken.objects.count(), Subscription.objects.count())
    response = agent_a.client.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["details"]) == ["label"]
    assert (ApiToken.objects.count(), Subscription.objects.count()) == before
