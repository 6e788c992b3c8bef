"""Issue 16 item 3: a NUL byte in a path id is 404 on every route that takes an id, for every
method and caller — refused once, at the edge, before any view or query sees it.

The routes come from the URL conf (pages, Django admin and the API alike), so a route added
later is covered without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.conftest import bearer_client

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(120)]

_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")
METHODS = ("get", "post", "put", "patch", "delete")
NUL_IDS = ("%00", "tkt_%00", "%00abc", "1%00")


def _walk(patterns: list[Any], prefix: str) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if isinstance(pattern.pattern, RoutePattern):  # Django admin's app-index regex is skipped
                yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern).lstrip("^").rstrip("$"))
        elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
            yield prefix + str(pattern.pattern)


def id_routes() -> list[str]:
    routes = sorted({r for r in _walk(get_resolver().url_patterns, "/") if _CONVERTER.search(r)})
    assert len(routes) >= 20, routes  # the API, the inbox, the cookbook and the Django admin
    return routes


def test_the_route_list_covers_every_area():
    routes = id_routes()
    for expected in ("/api/v1/support/tickets/<str:ticket_id>", "/api/v1/demo/sessions/<str:session_id>",
                     "/api/v1/agents/usage-keys/<str:key_id>", "/api/admin/support/tickets/<str:ticket_id>",
                     "/ui-traffic/tickets/<str:ref>", "/cookbook/<str:slug>"):
        assert expected in routes
    assert any(r.startswith("/django-admin/tickets/ticket/<path:object_id>") for r in routes), routes
    assert any("deliveries" in r for r in routes) and any("subscriptions" in r for r in routes)


@pytest.fixture
def callers(agent_a, staff) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    signed_in = Client()
    signed_in.force_login(staff.user)
    return {"agent": agent_a.client, "staff": staff.client, "staff session": signed_in,
            "anonymous": bearer_client("411_" + "x" * 43)}


@pytest.mark.parametrize("nul_id", NUL_IDS)
def test_it_answers_404_for_a_nul_byte_in_any_id(callers, nul_id):
    failures = []
    for route in id_routes():
        url = _CONVERTER.sub(nul_id, route)
        for who, client in callers.items():
            for method in METHODS:
                if method == "get":
                    response = client.get(url)
                else:
                    response = getattr(client, method)(url, data=b"{}", content_type="application/json")
                if response.status_code != 404:
                    failures.append(f"{method.upper()} {url} as {who}: {response.status_code}")
                elif url.startswith("/api/"):
                    body = response.json()
                    if body["code"] != "NOT_FOUND" or not body["request_id"].startswith("req_"):
                        failures.append(f"{method.upper()} {url} as {who}: {body}")
    assert failures == []


def test_a_nul_byte_in_a_path_without_an_id_is_404_too(agent_a):
    response = agent_a.client.get("/api/v1/agents/me%00")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert Client().get("/demo%00").status_code == 404


@pytest.mark.parametrize("url", [
    "/api/v1/support/tickets?status=%00", "/api/v1/support/tickets?cursor=%00",
    "/api/v1/demo/sessions?kind=%00", "/api/v1/agents/ledger?cursor=%00", "/api/v1/events?after=%00",
])
def test_a_nul_byte_in_a_query_parameter_is_a_400_not_a_500(agent_a, url):
    response = agent_a.client.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/support/tickets", {"category": "bug", "subject": "a\x00b", "body": "x"}),
    ("/api/v1/support/tickets", {"category": "bug", "subject": "ab", "body": "x\x00"}),
])
def test_a_nul_byte_in_a_json_string_is_a_400_not_a_500(agent_a, url, body):
    response = agent_a.client.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
