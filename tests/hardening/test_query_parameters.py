"""Issue 16 item 13: a bad query parameter is named in the error's message and details (not "The
request body is invalid."), and `session_kind=` is the same filter as `kind=` (SPEC §10)."""

from __future__ import annotations

import pytest

from tests.operators.conftest import open_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("url", "param"), [
    ("/api/v1/demo/sessions?kind=bogus", "kind"),
    ("/api/v1/demo/sessions?limit=0", "limit"),
    ("/api/v1/demo/sessions?colour=red", "colour"),
    ("/api/v1/support/tickets?status=bogus", "status"),
    ("/api/v1/support/tickets?limit=101", "limit"),
    ("/api/v1/support/tickets?cursor=%21%21", "cursor"),
    ("/api/v1/agents/ledger?limit=abc", "limit"),
    ("/api/v1/event-callbacks/subscriptions?limit=-1", "limit"),
])
def test_it_names_the_bad_query_parameter(agent_a, url, param):
    response = agent_a.client.get(url)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert list(body["details"]) == [param]
    assert "body" not in body["message"]
    assert param in body["message"], body["message"]


def test_the_staff_list_names_its_parameter_too(staff):
    body = staff.client.get("/api/admin/support/tickets?priority=bogus").json()
    assert list(body["details"]) == ["priority"]
    assert body["message"] == "Invalid query parameter: priority."


def test_session_kind_is_the_same_filter_as_kind(agent_a):
    enrich = agent_a.client.post("/api/v1/demo/sessions", {}, format="json").json()["id"]
    support = open_ticket(agent_a).support_session_id
    by_kind = agent_a.client.get("/api/v1/demo/sessions?kind=support").json()
    by_session_kind = agent_a.client.get("/api/v1/demo/sessions?session_kind=support").json()
    assert by_kind == by_session_kind
    assert [s["id"] for s in by_kind["results"]] == [support]
    assert [s["id"] for s in agent_a.client.get("/api/v1/demo/sessions?session_kind=enrich").json()["results"]] == [
        enrich]
    assert agent_a.client.get("/api/v1/demo/sessions?session_kind=support&kind=support").status_code == 200
    clash = agent_a.client.get("/api/v1/demo/sessions?session_kind=support&kind=enrich")
    assert clash.status_code == 400
    assert list(clash.json()["details"]) == ["session_kind"]
