"""Tenant isolation, generated from the URL confs so a new endpoint can't be forgotten.

- Every customer route with a path parameter, every method, called by agent B with agent A's ids
  → 404 NOT_FOUND (never 403, never A's data), and A's rows are byte-for-byte unchanged.
- Every customer route without one is classified below (its own data, a public route, or one that
  takes ids in the body); B's answer never carries A's ids. An unclassified route fails the test.
- Every /api/admin/ route, every method: A's admin bearer and a usage key → 403 STAFF_ONLY, no
  token → 401 AUTHENTICATION_REQUIRED, nothing changed.
- The routes found in the URL confs are exactly the operations in /openapi.json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from accounts.models import Agent, ApiToken
from billing.models import IdempotencyRecord, LedgerEntry, X402Payment
from demo_sessions.models import Attachment, DemoSession, Message
from tests.conftest import AgentPersona, bearer_client
from tickets.models import Ticket
from webhooks.models import Delivery, DeliveryAttempt, Event, Subscription

from .conftest import World
from .routes import api_routes

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(120)]

# Customer routes without a path parameter: what B calling them means.
OWN = "own"          # acts on the caller's own data only: B's answer must not mention A's ids
PUBLIC = "public"    # no tenant data at all
BODY_IDS = "body"    # takes ids in the body: see BODY_ID_CASES
UNSCOPED_CUSTOMER_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/agents"): PUBLIC,
    ("GET", "/api/v1/agents/me"): OWN,
    ("POST", "/api/v1/agents/token/rotate"): OWN,
    ("GET", "/api/v1/agents/usage-keys"): OWN,
    ("POST", "/api/v1/agents/usage-keys"): OWN,
    ("GET", "/api/v1/agents/balance"): OWN,
    ("GET", "/api/v1/agents/ledger"): OWN,
    ("POST", "/api/v1/agents/topup"): OWN,
    ("GET", "/api/v1/support/tickets"): OWN,
    ("POST", "/api/v1/support/tickets"): BODY_IDS,
    ("GET", "/api/v1/demo/sessions"): OWN,
    ("POST", "/api/v1/demo/sessions"): OWN,
    ("POST", "/api/v1/demo/chat"): BODY_IDS,
    ("GET", "/api/v1/event-callbacks/catalog"): PUBLIC,
    ("GET", "/api/v1/event-callbacks/subscriptions"): OWN,
    ("POST", "/api/v1/event-callbacks/subscriptions"): OWN,
    ("GET", "/api/v1/events"): OWN,
}

# Valid bodies, so a 404 can't hide behind a 400 (and a 403 behind anything).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/agents"): {"name": "B's friend"},
    ("POST", "/api/v1/agents/usage-keys"): {"label": "B's key", "scopes": ["support"]},
    ("POST", "/api/v1/support/tickets"): {"category": "other", "subject": "B's question", "body": "Hello."},
    ("POST", "/api/v1/demo/sessions"): {"title": "B's chat"},
    ("POST", "/api/v1/demo/chat"): {"message": "hello"},
    ("POST", "/api/v1/demo/sessions/{session_id}/messages"): {"text": "B was here"},
    ("POST", "/api/v1/agents/topup"): {"amount_usd": "1.00"},
    ("POST", "/api/v1/support/tickets/{ticket_id}/rating"): {"score": 1, "comment": "B was here"},
    ("POST", "/api/v1/event-callbacks/subscriptions"): {"event_types": ["support.ticket_created"],
                                                        "callback_url": "http://127.0.0.1:9/b"},
    ("PATCH", "/api/v1/event-callbacks/subscriptions/{subscription_id}"): {"label": "B's now"},
    ("POST", "/api/admin/event-callbacks/subscriptions"): {"event_types": ["support.ticket_created"],
                                                           "callback_url": "http://127.0.0.1:9/x"},
    ("PATCH", "/api/admin/event-callbacks/subscriptions/{subscription_id}"): {"label": "taken over"},
    ("PATCH", "/api/admin/support/tickets/{ticket_id}"): {"support_status": "resolved"},
    ("POST", "/api/admin/support/tickets/{ticket_id}/reply"): {"text": "hello"},
    ("POST", "/api/admin/support/tickets/{ticket_id}/bounty"): {"decision": "confirm"},
}


def _call(client: APIClient, method: str, url: str, body: dict[str, Any] | None) -> Any:
    if body is None:
        return getattr(client, method.lower())(url)
    return getattr(client, method.lower())(url, body, format="json")


def _snapshot(agent: Agent) -> dict[str, list[dict[str, Any]]]:
    """Every row that belongs to `agent`, as plain values: equal snapshots = nothing changed."""
    querysets = {
        "agent": Agent.objects.filter(pk=agent.pk),
        "tokens": ApiToken.objects.filter(agent=agent),
        "ledger": LedgerEntry.objects.filter(agent=agent),
        "x402": X402Payment.objects.filter(agent=agent),
        "idempotency": IdempotencyRecord.objects.filter(agent=agent),
        "tickets": Ticket.objects.filter(agent=agent),
        "sessions": DemoSession.objects.filter(agent=agent),
        "messages": Message.objects.filter(session__agent=agent),
        "subscriptions": Subscription.objects.filter(agent=agent),
        "deliveries": Delivery.objects.filter(subscription__agent=agent),
        "attempts": DeliveryAttempt.objects.filter(delivery__subscription__agent=agent),
        "events": Event.objects.filter(agent=agent),
        "attachments": Attachment.objects.filter(agent=agent),
    }
    return {name: sorted((model_to_dict(row) | {"pk": row.pk} for row in qs), key=lambda r: str(r["pk"]))
            for name, qs in querysets.items()}


def _staff_snapshot() -> dict[str, list[dict[str, Any]]]:
    return {
        "tickets": [model_to_dict(t) for t in Ticket.objects.order_by("pk")],
        "messages": [model_to_dict(m) for m in Message.objects.order_by("pk")],
        "subscriptions": [model_to_dict(s) for s in Subscription.objects.order_by("pk")],
        "deliveries": [model_to_dict(d) for d in Delivery.objects.order_by("pk")],
        "attempts": DeliveryAttempt.objects.count(),
        "attachments": [model_to_dict(a) for a in Attachment.objects.order_by("pk")],
    }


def _a_ids(world: World) -> set[str]:
    return {value for values in world.customer_ids.values() for value in values if not value.isdigit()}


def _assert_carries_none_of(response: Any, ids: set[str], where: str) -> None:
    text = response.content.decode()
    leaked = sorted(i for i in ids if i in text)
    assert not leaked, f"{where} answered agent B with agent A's ids {leaked}: {text[:500]}"


def test_the_url_confs_and_openapi_list_the_same_operations(anon: APIClient) -> None:
    from_urls = {(m, r.template) for r in api_routes() for m in r.methods}
    schema = anon.get("/openapi.json").json()
    from_openapi = {(m.upper(), path) for path, item in schema["paths"].items() for m in item
                    if m.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}}
    assert from_urls == from_openapi


def test_every_customer_route_is_classified() -> None:
    unscoped = {(m, r.template) for r in api_routes() if not r.is_admin and not r.params for m in r.methods}
    assert unscoped == set(UNSCOPED_CUSTOMER_ROUTES), (
        "classify new customer routes in UNSCOPED_CUSTOMER_ROUTES: "
        f"{sorted(unscoped ^ set(UNSCOPED_CUSTOMER_ROUTES))}")


def test_agent_b_gets_404_for_every_id_of_agent_a(world: World, agent_a: AgentPersona,
                                                   agent_b: AgentPersona) -> None:
    before = _snapshot(agent_a.agent)
    checked = []
    for route in api_routes():
        if route.is_admin or not route.params:
            continue
        for method in route.methods:
            for url in route.urls(world.customer_ids):
                response = _call(agent_b.client, method, url, BODIES.get((method, route.template)))
                assert response.status_code == 404, (method, url, response.content)
                body = response.json()
                assert body["code"] == "NOT_FOUND", (method, url, body)
                assert set(body) == {"code", "message", "details", "request_id"}, (method, url, body)
                _assert_carries_none_of(response, _a_ids(world), f"{method} {url}")
                checked.append((method, route.template))
    assert _snapshot(agent_a.agent) == before
    # Every parameterised customer operation was exercised (the list grows with the URL confs).
    assert set(checked) == {(m, r.template) for r in api_routes()
                                    if not r.is_admin and r.params for m in r.methods}


def test_agent_b_on_routes_without_ids_sees_only_its_own_data(world: World, agent_a: AgentPersona,
                                                               agent_b: AgentPersona) -> None:
    before = _snapshot(agent_a.agent)
    b_client = agent_b.client
    for route in api_routes():
        if route.is_admin or route.params:
            continue
        for method in route.methods:
            kind = UNSCOPED_CUSTOMER_ROUTES[(method, route.template)]
            if kind == BODY_IDS:
                continue
            response = _call(b_client, method, route.template, BODIES.get((method, route.template)))
            # A top-up without a payment is its 402 offer: still B's own answer, checked the same way.
            ok = (402,) if route.template == "/api/v1/agents/topup" else (200, 201)
            assert response.status_code in ok, (method, route.template, response.content)
            _assert_carries_none_of(response, _a_ids(world), f"{method} {route.template}")
            if route.template == "/api/v1/agents/token/rotate":
                b_client = bearer_client(response.json()["token"])
    assert _snapshot(agent_a.agent) == before


def test_ids_of_agent_a_in_a_request_body_are_not_found_for_b(world: World, agent_a: AgentPersona,
                                                              agent_b: AgentPersona) -> None:
    before, b_balance = _snapshot(agent_a.agent), agent_b.balance_micros
    for session_id in (world.enrich_session_id, world.support_session_id):
        # Chat on A's session: 404, not the 409 SUPPORT_THREAD_NO_LLM that would confirm it exists.
        chat = agent_b.client.post("/api/v1/demo/chat", {"session_id": session_id, "message": "hi"}, format="json")
        assert (chat.status_code, chat.json()["code"]) == (404, "NOT_FOUND"), chat.content
        # A ticket linked to A's session: the SPEC's field error, and nothing charged.
        ticket = agent_b.client.post("/api/v1/support/tickets", {
            **BODIES[("POST", "/api/v1/support/tickets")], "source_session_id": session_id}, format="json")
        assert ticket.status_code == 400, ticket.content
        assert ticket.json()["code"] == "VALIDATION_ERROR"
        assert ticket.json()["details"] == {"source_session_id": ["Must be one of your enrich (chat) sessions."]}
        for response in (chat, ticket):
            _assert_carries_none_of(response, _a_ids(world), "body-id route")
    assert agent_b.balance_micros == b_balance
    assert _snapshot(agent_a.agent) == before


def test_agent_tokens_get_403_staff_only_and_no_token_401_on_every_admin_route(
        world: World, agent_a: AgentPersona, usage_key: Any, anon: APIClient) -> None:
    usage = usage_key(["support", "chat", "billing:read"])
    before, staff_before = _snapshot(agent_a.agent), _staff_snapshot()
    admin_routes = [r for r in api_routes() if r.is_admin]
    assert admin_routes, "no /api/admin/ routes found"
    for route in admin_routes:
        for method in route.methods:
            for url in route.urls(world.staff_ids):
                body = BODIES.get((method, route.template))
                for who, client in (("admin bearer", agent_a.client), ("usage key", usage)):
                    response = _call(client, method, url, body)
                    assert (response.status_code, response.json()["code"]) == (403, "STAFF_ONLY"), (who, method, url)
                response = _call(anon, method, url, body)
                assert (response.status_code, response.json()["code"]) == (401, "AUTHENTICATION_REQUIRED"), (method, url)
                assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert _snapshot(agent_a.agent) == before
    assert _staff_snapshot() == staff_before


def test_snapshots_see_changes(world: World, agent_a: AgentPersona) -> None:
    """The snapshot is not vacuous: a real change by A shows up in it."""
    before = _snapshot(agent_a.agent)
    response = agent_a.client.post(f"/api/v1/demo/sessions/{world.support_session_id}/messages", {"text": "more"},
                                   format="json")
    assert response.status_code == 201
    after = _snapshot(agent_a.agent)
    assert len(after["messages"]) == len(before["messages"]) + 1
    assert json.dumps(after, default=str) != json.dumps(before, default=str)
