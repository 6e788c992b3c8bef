"""The registry's tools over streamable HTTP at /mcp, driven by the SDK's own client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.tools import REGISTRY
from tests.conftest import make_agent

from .conftest import call, with_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_lists_every_registry_tool_with_its_schema_and_annotations(mcp_url: str, mode: str) -> None:
    agent = make_agent("Lister")

    async def go(client: Any) -> Any:
        return await client.list_tools()

    tools = {t.name: t for t in with_client(mcp_url, agent.token, go, mode=mode).tools}
    assert sorted(tools) == sorted(REGISTRY) == [
        "agents_balance", "append_support_message", "close_support_ticket", "cookbook_read", "cookbook_search",
        "get_support_ticket", "list_support_tickets", "resolve_support_ticket", "submit_support_request",
    ]
    for name, spec in REGISTRY.items():
        tool = tools[name]
        assert tool.input_schema == spec.input_schema
        assert tool.title == spec.title
        assert tool.description.startswith(spec.description)
        assert tool.annotations.read_only_hint is spec.read_only
        assert tool.annotations.destructive_hint is False
        assert tool.annotations.idempotent_hint is (True if spec.read_only else None)
    assert tools["submit_support_request"].annotations.read_only_hint is False
    assert tools["cookbook_read"].annotations.read_only_hint is True


def _ticket_counts(agent_id: str) -> tuple[int, int]:
    from billing.models import LedgerEntry, LedgerKind
    from tickets.models import Ticket

    return (Ticket.objects.filter(agent_id=agent_id).count(),
            LedgerEntry.objects.filter(agent_id=agent_id, kind=LedgerKind.TICKET_CHARGE).count())


def _ok(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result
    (block,) = result.content
    assert json.loads(block.text) == result.structured_content
    return result.structured_content


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error is True, result
    (block,) = result.content
    assert json.loads(block.text) == result.structured_content
    return result.structured_content


SUBMIT = {"category": "bug", "subject": "Export stalls at 99%", "body": "Steps: open export, wait. Expected: a file."}


def test_file_a_ticket_replay_it_read_it_back_and_follow_up(mcp_url: str) -> None:
    agent = make_agent("Filer")
    args = {**SUBMIT, "idempotency_key": "mcp-retry-1"}

    ticket = _ok(call(mcp_url, agent.token, "submit_support_request", args))
    assert ticket["ticket_id"].startswith("tkt_")
    assert len(ticket["support_session_id"]) == 32
    assert (ticket["charged_usd"], ticket["payment_method"], ticket["virtual_balance_usd"]) == ("0.01", "virtual_balance", "0.19")
    assert (ticket["category"], ticket["subject"], ticket["support_status"]) == ("bug", SUBMIT["subject"], "open")
    assert ticket["bounty"] == {"eligible": True, "status": "pending_review", "amount_usd": "1.00"}
    assert ticket["replayed"] is False
    assert agent.balance_micros == 190_000
    assert _ticket_counts(agent.agent.id) == (1, 1)

    replay = _ok(call(mcp_url, agent.token, "submit_support_request", args, mode="legacy"))
    assert replay["replayed"] is True
    assert replay["ticket_id"] == ticket["ticket_id"]
    assert agent.balance_micros == 190_000
    assert _ticket_counts(agent.agent.id) == (1, 1)

    read = _ok(call(mcp_url, agent.token, "get_support_ticket", {"ticket_id": ticket["ticket_id"]}))
    assert read["ticket"]["ticket_id"] == ticket["ticket_id"]
    assert [(m["author"], m["text"]) for m in read["messages"]] == [("user", SUBMIT["body"])]

    follow = _ok(call(mcp_url, agent.token, "append_support_message",
                      {"support_session_id": ticket["support_session_id"], "text": "It also fails on CSV."}))
    assert follow["charged_usd"] == "0.00"
    assert follow["message"]["author"] == "user"
    assert follow["support_status"] == "open"
    assert agent.balance_micros == 190_000
    read = _ok(call(mcp_url, agent.token, "get_support_ticket", {"ticket_id": ticket["ticket_id"]}))
    assert [m["text"] for m in read["messages"]] == [SUBMIT["body"], "It also fails on CSV."]

    listed = _ok(call(mcp_url, agent.token, "list_support_tickets", {"status": "open"}))
    assert [t["ticket_id"] for t in listed["tickets"]] == [ticket["ticket_id"]]
    balance = _ok(call(mcp_url, agent.token, "agents_balance"))
    assert (balance["virtual_balance_usd"], balance["ticket_price_usd"]) == ("0.19", "0.01")


def test_read_and_search_the_cookbook(mcp_url: str) -> None:
    agent = make_agent("Reader")
    recipe = _ok(call(mcp_url, agent.token, "cookbook_read", {"slug": "mcp"}))
    assert recipe["slug"] == "mcp"
    assert recipe["url"] == "/cookbook/mcp"
    assert "manage.py mcp_serve --transport stdio" in recipe["markdown"]
    hits = _ok(call(mcp_url, agent.token, "cookbook_search", {"query": "mcp stdio"}))
    assert hits["results"][0]["slug"] == "mcp"
    missing = _error(call(mcp_url, agent.token, "cookbook_read", {"slug": "no_such_recipe"}))
    assert missing["code"] == "NOT_FOUND"


def test_the_trailing_slash_url_works_too(mcp_url: str) -> None:
    agent = make_agent("Slash")
    recipe = _ok(call(mcp_url + "/", agent.token, "cookbook_read", {"slug": "billing"}))
    assert recipe["slug"] == "billing"


def test_a_usage_key_without_support_gets_a_tool_error_naming_the_scope(mcp_url: str) -> None:
    from accounts.services import usage_key_create

    agent = make_agent("Scoped")
    _, chat_only = usage_key_create(agent=agent.agent, label="chat only", scopes=["chat"])
    denied = _error(call(mcp_url, chat_only, "submit_support_request", SUBMIT))
    assert denied["code"] == "INSUFFICIENT_SCOPE"
    assert "support" in denied["message"]
    assert denied["details"] == {"required_scopes": ["support"]}
    assert _ticket_counts(agent.agent.id) == (0, 0)
    assert agent.balance_micros == 200_000
    assert _error(call(mcp_url, chat_only, "agents_balance"))["details"] == {"required_scopes": ["billing:read"]}
    assert _ok(call(mcp_url, chat_only, "cookbook_read", {"slug": "billing"}))["slug"] == "billing"

    _, support_key = usage_key_create(agent=agent.agent, label="support", scopes=["support"])
    ticket = _ok(call(mcp_url, support_key, "submit_support_request", SUBMIT))
    assert ticket["virtual_balance_usd"] == "0.19"
    assert _ticket_counts(agent.agent.id) == (1, 1)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_a_zero_balance_gets_payment_required_with_the_x402_offer(mcp_url: str, mode: str) -> None:
    broke = make_agent("Broke", grant_micros=0)
    error = _error(call(mcp_url, broke.token, "submit_support_request", SUBMIT, mode=mode))
    assert error["code"] == "PAYMENT_REQUIRED"
    assert (error["price_usd"], error["virtual_balance_usd"]) == ("0.01", "0.00")
    assert error["billing_reason"] == "virtual_balance_insufficient"
    offer = error["x402"]
    assert offer["x402Version"] == 2
    (accept,) = offer["accepts"]
    assert (accept["scheme"], accept["network"], accept["amount"]) == ("exact", "eip155:84532", "10000")
    assert offer["resource"]["url"].endswith("/api/v1/support/tickets")
    assert _ticket_counts(broke.agent.id) == (0, 0)
    assert broke.balance_micros == 0


def test_bad_arguments_come_back_as_field_errors_and_charge_nothing(mcp_url: str) -> None:
    agent = make_agent("Sloppy")
    unknown = _error(call(mcp_url, agent.token, "submit_support_request", {**SUBMIT, "priority": "high"}))
    assert unknown["code"] == "VALIDATION_ERROR"
    assert unknown["details"] == {"priority": ["Unknown field."]}
    invalid = _error(call(mcp_url, agent.token, "submit_support_request",
                          {"category": "nope", "subject": "x" * 121, "body": "ok"}))
    assert invalid["code"] == "VALIDATION_ERROR"
    assert invalid["details"] == {"category": ['"nope" is not a valid choice.'],
                                  "subject": ["Ensure this field has no more than 120 characters."]}
    missing = _error(call(mcp_url, agent.token, "get_support_ticket", {}))
    assert missing["details"] == {"ticket_id": ["This field is required."]}
    assert _error(call(mcp_url, agent.token, "no_such_tool"))["code"] == "UNKNOWN_TOOL"
    assert _ticket_counts(agent.agent.id) == (0, 0)
    assert agent.balance_micros == 200_000


def test_one_agent_never_sees_another_agents_tickets(mcp_url: str) -> None:
    alice, bob = make_agent("Alice"), make_agent("Bob")
    ticket = _ok(call(mcp_url, alice.token, "submit_support_request", SUBMIT))

    assert _error(call(mcp_url, bob.token, "get_support_ticket", {"ticket_id": ticket["ticket_id"]}))["code"] == "NOT_FOUND"
    foreign = _error(call(mcp_url, bob.token, "append_support_message",
                          {"support_session_id": ticket["support_session_id"], "text": "hijack"}))
    assert foreign["code"] == "NOT_FOUND"
    assert _ok(call(mcp_url, bob.token, "list_support_tickets"))["tickets"] == []
    read = _ok(call(mcp_url, alice.token, "get_support_ticket", {"ticket_id": ticket["ticket_id"]}))
    assert [m["text"] for m in read["messages"]] == [SUBMIT["body"]]
    assert bob.balance_micros == 200_000
