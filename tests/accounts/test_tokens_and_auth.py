"""Identity: token format and storage, authentication codes, scopes, rotation, revocation (SPEC §2)."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import ApiToken, TokenKind
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db


def test_it_issues_prefixed_base62_tokens_stored_only_as_digests(agent_a):
    assert agent_a.token.startswith("411_")
    assert len(agent_a.token) - len("411_") >= 40
    row = ApiToken.objects.get(agent=agent_a.agent, kind=TokenKind.ADMIN)
    assert row.digest == hashlib.sha256(agent_a.token.encode()).hexdigest()
    assert row.prefix == agent_a.token[:10]
    # No column anywhere holds the plaintext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        dump = json.dumps(cursor.fetchall(), default=str)
    assert agent_a.token not in dump
    assert agent_a.token[4:] not in dump


def test_it_answers_me_for_an_admin_bearer(agent_a):
    response = agent_a.client.get("/api/v1/agents/me")
    assert response.status_code == 200
    body = response.json()
    assert body["agent_id"] == agent_a.agent.id
    assert body["name"] == "Alice's agent"
    assert body["token_kind"] == "admin"
    assert body["scopes"] == ["billing:read", "chat", "support"]
    assert body["virtual_balance_usd"] == "0.20"
    assert response["X-Request-ID"].startswith("req_")


def test_it_answers_401_authentication_required_without_a_token(anon):
    response = anon.get("/api/v1/agents/me")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "AUTHENTICATION_REQUIRED"
    assert body["details"] == {}
    assert body["request_id"] == response["X-Request-ID"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer 411_short",
    "Bearer 999_" + "a" * 43,
    "Bearer 411_" + "a" * 43,  # well-formed, unknown
    "Bearer 411_" + "a" * 20 + "!" * 23,
    "Bearer two words",
])
def test_it_answers_401_invalid_token_for_malformed_or_unknown_tokens(anon, agent_a, header):
    anon.credentials(HTTP_AUTHORIZATION=header)
    response = anon.get("/api/v1/agents/me")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


def test_it_rejects_a_truncated_real_token(agent_a):
    response = bearer_client(agent_a.token[:-1]).get("/api/v1/agents/me")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


def test_it_rotates_the_admin_bearer_and_the_old_one_stops_working(agent_a):
    response = agent_a.client.post("/api/v1/agents/token/rotate", format="json")
    assert response.status_code == 200
    new_token = response.json()["token"]
    assert new_token.startswith("411_") and new_token != agent_a.token
    assert agent_a.client.get("/api/v1/agents/me").json()["code"] == "INVALID_TOKEN"
    assert bearer_client(new_token).get("/api/v1/agents/me").status_code == 200
    assert ApiToken.objects.filter(agent=agent_a.agent, kind=TokenKind.ADMIN, revoked_at__isnull=True).count() == 1


def test_it_creates_lists_and_revokes_usage_keys(agent_a):
    response = agent_a.client.post("/api/v1/agents/usage-keys", {"label": "ci", "scopes": ["support"]}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "label", "scopes", "prefix", "created_at", "token"}
    assert created["token"].startswith("411k_") and created["scopes"] == ["support"]
    listed = agent_a.client.get("/api/v1/agents/usage-keys").json()["results"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert "token" not in listed[0]
    key_client = bearer_client(created["token"])
    me = key_client.get("/api/v1/agents/me").json()
    assert (me["token_kind"], me["scopes"]) == ("usage", ["support"])

    assert agent_a.client.delete(f"/api/v1/agents/usage-keys/{created['id']}").status_code == 204
    assert key_client.get("/api/v1/agents/me").json()["code"] == "INVALID_TOKEN"
    assert agent_a.client.get("/api/v1/agents/usage-keys").json()["results"] == []


@pytest.mark.parametrize("path,method", [
    ("/api/v1/agents/usage-keys", "get"),
    ("/api/v1/agents/usage-keys", "post"),
    ("/api/v1/agents/token/rotate", "post"),
])
def test_usage_keys_get_403_insufficient_scope_on_admin_only_surfaces(usage_key, agent_a, path, method):
    client = usage_key(["support", "chat", "billing:read"])
    response = getattr(client, method)(path, {"label": "x", "scopes": ["chat"]} if method == "post" else None,
                                       format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert ApiToken.objects.filter(agent=agent_a.agent, revoked_at__isnull=True).count() == 2


def test_it_404s_another_agents_usage_key(agent_a, agent_b):
    created = agent_a.client.post("/api/v1/agents/usage-keys", {"scopes": ["chat"]}, format="json").json()
    response = agent_b.client.delete(f"/api/v1/agents/usage-keys/{created['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert ApiToken.objects.get(id=created["id"]).revoked_at is None


@pytest.mark.parametrize("body,field", [
    ({"scopes": ["admin"]}, "scopes"),
    ({"scopes": []}, "scopes"),
    ({"scopes": "support"}, "scopes"),
    ({"scopes": ["support"], "lable": "typo"}, "lable"),
])
def test_it_rejects_bad_usage_key_bodies(agent_a, body, field):
    response = agent_a.client.post("/api/v1/agents/usage-keys", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert ApiToken.objects.filter(agent=agent_a.agent).count() == 1


def test_staff_tokens_do_not_open_agent_routes(staff):
    response = staff.client.get("/api/v1/agents/me")
    assert response.status_code == 403
    assert response.json()["code"] == "INSUFFICIENT_SCOPE"


def test_self_mint_grants_the_starting_balance_once(anon, settings):
    settings.AGENT_SELF_MINT = True
    response = anon.post("/api/v1/agents", {"name": "Minted"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["virtual_balance_usd"] == "0.20"
    ledger = bearer_client(body["token"]).get("/api/v1/agents/ledger").json()["results"]
    assert [(e["kind"], e["amount_usd"]) for e in ledger] == [("grant", "0.20")]


def test_self_mint_is_404_when_disabled(anon, settings):
    settings.AGENT_SELF_MINT = False
    response = anon.post("/api/v1/agents", {"name": "Minted"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_create_agent_command_prints_one_json_object(capsys):
    call_command("create_agent", "--name", "Cli agent", "--grant-usd", "0.50", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["token"].startswith("411_") and out["agent_id"].startswith("agt_")
    assert out["virtual_balance_usd"] == "0.50"
    assert bearer_client(out["token"]).get("/api/v1/agents/me").status_code == 200


@pytest.mark.parametrize("grant", ["-1", "abc", "0.0000001", "NaN"])
def test_create_agent_command_refuses_bad_grants(grant):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_agent", "--name", "Bad", "--grant-usd", grant, "--json")
    from accounts.models import Agent
    assert Agent.objects.count() == 0


def test_create_staff_token_command(capsys, django_user_model):
    call_command("create_staff_token", "--user", "sam", "--create", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["token"].startswith("411s_") and out["user"] == "sam"
    assert django_user_model.objects.get(username="sam").is_staff
