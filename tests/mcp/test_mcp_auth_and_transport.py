"""/mcp at the HTTP level: bearer auth with the SPEC §1 envelope, Host protection, Django beside it,
and no DB connection leak from the tool worker threads."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx2
import pytest
import requests
from django.db import connection
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import make_agent

pytestmark = pytest.mark.django_db(transaction=True)

LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _post(url: str, token: str | None = None, **headers: str) -> requests.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(url, json=LIST, headers={**ACCEPT, **auth, **headers}, timeout=10)


def _envelope(response: requests.Response, status: int, code: str, request_id_prefix: str = "req_") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert sorted(body) == ["code", "details", "message", "request_id"]
    assert (body["code"], body["details"]) == (code, {})
    assert body["request_id"].startswith(request_id_prefix)
    assert response.headers["X-Request-ID"] == body["request_id"]
    return body


def test_no_token_is_401_authentication_required(mcp_url: str) -> None:
    response = _post(mcp_url)
    body = _envelope(response, 401, "AUTHENTICATION_REQUIRED")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="mcp"'
    assert "Authorization: Bearer 411_" in body["message"]
    basic = requests.post(mcp_url, json=LIST, headers={**ACCEPT, "Authorization": "Basic dXNlcjpwdw=="}, timeout=10)
    _envelope(basic, 401, "AUTHENTICATION_REQUIRED")


def test_bad_and_revoked_tokens_are_401_invalid_token(mcp_url: str) -> None:
    from accounts.models import ApiToken

    for token in ("411_" + "z" * 43, "not-a-token"):
        response = _post(mcp_url, token)
        _envelope(response, 401, "INVALID_TOKEN")
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="mcp", error="invalid_token"')
    agent = make_agent("Revoked")
    assert _post(mcp_url, agent.token).status_code == 200
    ApiToken.objects.filter(agent=agent.agent).update(revoked_at="2026-01-01T00:00:00Z")
    _envelope(_post(mcp_url, agent.token), 401, "INVALID_TOKEN")


def test_a_staff_token_is_403(mcp_url: str, staff: Any) -> None:
    response = _post(mcp_url, staff.token)
    body = _envelope(response, 403, "INSUFFICIENT_SCOPE")
    assert "staff tokens" in body["message"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_a_sane_client_request_id_is_echoed(mcp_url: str) -> None:
    response = _post(mcp_url, **{"X-Request-ID": "client-abc.123"})
    assert _envelope(response, 401, "AUTHENTICATION_REQUIRED", "client-")["request_id"] == "client-abc.123"
    agent = make_agent("Echo")
    ok = _post(mcp_url, agent.token, **{"X-Request-ID": "client-abc.124"})
    assert ok.status_code == 200
    assert ok.headers["X-Request-ID"] == "client-abc.124"
    assert [t["name"] for t in ok.json()["result"]["tools"]][0] == "submit_support_request"


def test_hosts_outside_allowed_hosts_are_refused(mcp_url: str) -> None:
    agent = make_agent("Rebinding")
    assert _post(mcp_url, agent.token, Host="evil.example").status_code == 421
    assert _post(mcp_url, agent.token, Origin="http://evil.example").status_code == 403
    assert _post(mcp_url, agent.token, Origin=mcp_url.rsplit("/", 1)[0]).status_code == 200


def test_django_still_answers_everything_else(mcp_base_url: str) -> None:
    assert requests.get(f"{mcp_base_url}/healthz", timeout=10).status_code == 200
    me = requests.get(f"{mcp_base_url}/api/v1/agents/me", timeout=10)
    assert me.status_code == 401
    assert me.json()["code"] == "AUTHENTICATION_REQUIRED"
    assert requests.get(f"{mcp_base_url}/mcp/other", timeout=10).status_code == 404


def test_calls_share_the_tokens_rate_limit(mcp_url: str, settings: Any) -> None:
    settings.RATE_LIMIT_PER_MINUTE = 2
    agent = make_agent("Hasty")
    first, second = _post(mcp_url, agent.token), _post(mcp_url, agent.token)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == ("2", "1")
    limited = _post(mcp_url, agent.token)
    _envelope(limited, 429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["RateLimit-Remaining"] == "0"


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [connection.settings_dict["NAME"]])
        return cursor.fetchone()[0]


def _settled_backends(bound: int) -> int:
    deadline = time.monotonic() + 5
    count = _backends()
    while count > bound and time.monotonic() < deadline:
        time.sleep(0.1)
        count = _backends()
    return count


def test_tool_calls_do_not_leak_database_connections(mcp_url: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_stat_activity is PostgreSQL's")
    agent = make_agent("Busy")
    before = _backends()

    async def hammer() -> list[Any]:
        results: list[Any] = []
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {agent.token}"}, timeout=30) as http:
            async with Client(streamable_http_client(mcp_url, http_client=http)) as client:  # type: ignore[arg-type]

                async def one(i: int) -> None:
                    name = ("agents_balance", "list_support_tickets", "cookbook_read")[i % 3]
                    arguments = {"slug": "billing"} if name == "cookbook_read" else {}
                    results.append(await client.call_tool(name, arguments))

                for start in range(0, 50, 10):  # 5 waves of 10 concurrent calls: many worker threads
                    async with anyio.create_task_group() as tg:
                        for i in range(start, start + 10):
                            tg.start_soon(one, i)
        return results

    results = anyio.run(hammer)
    assert len(results) == 50
    assert [r.is_error for r in results] == [False] * 50
    assert _settled_backends(before + 2) <= before + 2
