"""LLM_PROVIDER=openai against a real chat-completions server on loopback (tests/llm_stub.py)."""

from __future__ import annotations

import json
import time

import pytest

from agent.tools import REGISTRY
from billing.models import LedgerEntry
from demo_sessions.models import Message
from tests.llm_stub import garbage, hang, server_error, text_response, tool_call_response
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/demo/chat"
EXPORT = "file a support ticket — my export times out after 30 seconds, expected a CSV"
SUBMIT_ARGS = {"category": "bug", "subject": "Export times out after 30 s", "body": "My export times out after 30 seconds."}


def _chat(persona, message, **extra):  # type: ignore[no-untyped-def]
    response = persona.client.post(CHAT, {"message": message, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _tool_messages(request):  # type: ignore[no-untyped-def]
    return [m for m in request["body"]["messages"] if m["role"] == "tool"]


def test_a_tool_call_then_a_final_answer(agent_a, llm_stub):
    llm_stub.script(tool_call_response(("submit_support_request", SUBMIT_ARGS)),
                    text_response("I filed ticket for your export timeout."))
    body = _chat(agent_a, EXPORT)
    ticket = Ticket.objects.get()

    # What the provider sent.
    first, second = llm_stub.requests
    assert first["path"] == "/v1/chat/completions"
    assert first["headers"]["Authorization"] == "Bearer sk-test-key"
    assert first["body"]["model"] == "stub-model"
    assert first["body"]["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in first["body"]["tools"]] == list(REGISTRY)
    submit = next(t for t in first["body"]["tools"] if t["function"]["name"] == "submit_support_request")
    assert submit == {"type": "function", "function": {
        "name": "submit_support_request", "description": REGISTRY["submit_support_request"].description,
        "parameters": REGISTRY["submit_support_request"].input_schema}}
    assert first["body"]["messages"][0]["role"] == "system"
    assert first["body"]["messages"][1:] == [{"role": "user", "content": EXPORT}]
    assert second["body"]["messages"][2]["role"] == "assistant"
    assert second["body"]["messages"][2]["tool_calls"][0]["function"]["name"] == "submit_support_request"
    [tool_message] = _tool_messages(second)
    assert tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"])["result"]["ticket_id"] == ticket.public_id

    # What was stored: the ticket (charged once), the turn, and triage in both places.
    assert (ticket.category, ticket.subject, ticket.body) == ("bug", SUBMIT_ARGS["subject"], SUBMIT_ARGS["body"])
    assert agent_a.balance_micros == 190_000
    assert LedgerEntry.objects.filter(kind="ticket_charge").count() == 1
    assert body["ticket"]["ticket_id"] == ticket.public_id
    assert [c["name"] for c in body["tool_calls"]] == ["submit_support_request", "cookbook_search", "cookbook_read"]
    assert [m["author"] for m in body["messages"]] == ["user", "system", "assistant"]
    assistant = Message.objects.get(id=body["messages"][-1]["id"])
    assert assistant.text.startswith("I filed ticket for your export timeout.\n\nTriage for ticket #")
    assert assistant.text.endswith("Does this answer your question?")
    assert (assistant.metadata["provider"], assistant.metadata["model"], assistant.metadata["rounds"]) == (
        "openai", "stub-model", 2)
    thread = list(ticket.support_session.messages.order_by("created_at", "id").values_list("author", flat=True))
    assert thread == ["user", "triage_bot"]
    assert llm_stub.unused == 0


def test_earlier_messages_are_sent_as_history(agent_a, llm_stub):
    llm_stub.script(text_response("Hello."), text_response("Still here."))
    first = _chat(agent_a, "hi")
    _chat(agent_a, "are you there?", session_id=first["session_id"])
    assert llm_stub.requests[1]["body"]["messages"][1:] == [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "are you there?"},
    ]


def test_a_usage_key_is_offered_only_the_tools_it_may_call(usage_key, llm_stub):
    llm_stub.script(text_response("ok"))
    client = usage_key(["chat"])
    assert client.post(CHAT, {"message": "hi"}, format="json").status_code == 200
    assert [t["function"]["name"] for t in llm_stub.requests[0]["body"]["tools"]] == ["cookbook_search", "cookbook_read"]


@pytest.mark.parametrize("reply,reason,retryable", [
    (hang(5), "The model did not answer within 1 s.", True),
    (garbage(), "The model server sent an answer that is not a chat completion.", True),
    (server_error(500), "The model server answered HTTP 500.", True),
    (server_error(401), "The model server answered HTTP 401.", False),
])
def test_a_failing_model_hands_the_turn_to_the_builtin_agent_with_a_visible_note(agent_a, llm_stub, reply, reason,
                                                                                 retryable):
    llm_stub.script(reply)
    started = time.monotonic()
    body = _chat(agent_a, "How do I verify webhook signatures?")
    assert time.monotonic() - started < 4
    assert body["ticket"] is None
    assert [c["name"] for c in body["tool_calls"]] == ["cookbook_search", "cookbook_read"]
    assert body["tool_calls"][1]["arguments"] == {"slug": "event_callbacks"}
    assert [m["author"] for m in body["messages"]] == ["user", "assistant"]
    text = body["messages"][1]["text"]
    assert text.startswith("From the cookbook — [“Event callbacks (signed webhooks)”](/cookbook/event_callbacks#")
    assert text.endswith(f"(The language model failed: {reason} The builtin agent answered instead.)")
    stored = Message.objects.get(id=body["messages"][1]["id"])
    assert stored.metadata["provider_error"] == {"message": reason, "retryable": retryable}
    assert (stored.metadata["provider"], stored.metadata["fallback"]) == ("openai", "builtin")
    assert Ticket.objects.count() == 0
    assert agent_a.balance_micros == 200_000
    assert LedgerEntry.objects.exclude(kind="grant").count() == 0


def test_a_dead_model_server_still_files_an_explicit_request_once_through_the_builtin_agent(agent_a, settings):
    settings.LLM_PROVIDER, settings.LLM_BASE_URL, settings.LLM_TIMEOUT_SECONDS = "openai", "http://127.0.0.1:9/v1", 1.0
    body = _chat(agent_a, EXPORT)
    ticket = Ticket.objects.get()
    assert [c["name"] for c in body["tool_calls"]][:1] == ["submit_support_request"]
    text = body["messages"][-1]["text"]
    assert text.startswith(f"Done — I opened support ticket #{ticket.number}")
    assert ("(The language model failed: The model server could not be reached. "
            "The builtin agent answered instead.)") in text
    assert text.endswith("Does this answer your question?")
    assert agent_a.balance_micros == 190_000


def test_an_unknown_tool_is_a_tool_error_and_the_turn_goes_on(agent_a, llm_stub):
    llm_stub.script(tool_call_response(("delete_all_tickets", {"confirm": True})),
                    text_response("I can't do that."))
    body = _chat(agent_a, "delete all my tickets")
    [call] = body["tool_calls"]
    assert call["name"] == "delete_all_tickets" and call["result"] is None
    assert call["error"]["code"] == "UNKNOWN_TOOL"
    [tool_message] = _tool_messages(llm_stub.requests[1])
    assert json.loads(tool_message["content"])["error"]["code"] == "UNKNOWN_TOOL"
    assert body["messages"][-1]["text"] == "I can't do that."


def test_arguments_that_are_not_json_are_refused_as_a_tool_error(agent_a, llm_stub):
    llm_stub.script(tool_call_response(("cookbook_search", "{query: exports")), text_response("Sorry."))
    body = _chat(agent_a, "exports?")
    [call] = body["tool_calls"]
    assert (call["arguments"], call["error"]["code"]) == ("{query: exports", "VALIDATION_ERROR")


def test_tool_rounds_are_bounded(agent_a, llm_stub, settings):
    settings.LLM_MAX_TOOL_ROUNDS = 1
    search = ("cookbook_search", {"query": "exports"})
    llm_stub.script(tool_call_response(search), tool_call_response(search))
    body = _chat(agent_a, "exports?")
    assert len(llm_stub.requests) == 2
    assert llm_stub.requests[1]["body"]["tool_choice"] == "none"
    assert [c["name"] for c in body["tool_calls"]] == ["cookbook_search"]
    assert body["messages"][-1]["text"].startswith("I stopped after 1 round(s) of tool calls")


def test_a_second_ticket_in_one_turn_is_refused_so_nothing_is_charged_twice(agent_a, llm_stub):
    llm_stub.script(tool_call_response(("submit_support_request", SUBMIT_ARGS), ("submit_support_request", SUBMIT_ARGS)),
                    text_response("Filed."))
    body = _chat(agent_a, EXPORT)
    assert [c["error"]["code"] if c["error"] else "ok" for c in body["tool_calls"][:2]] == ["ok", "TICKET_ALREADY_OPENED"]
    assert Ticket.objects.count() == 1
    assert agent_a.balance_micros == 190_000


def test_a_model_failure_after_the_ticket_still_reports_it_and_triages(agent_a, llm_stub):
    llm_stub.script(tool_call_response(("submit_support_request", SUBMIT_ARGS)), server_error(503))
    body = _chat(agent_a, EXPORT)
    ticket = Ticket.objects.get()
    text = body["messages"][-1]["text"]
    assert text.startswith(f"Done — I opened support ticket #{ticket.number}")
    assert "(The language model failed: The model server answered HTTP 503. The builtin agent answered instead.)" in text
    assert text.endswith("Does this answer your question?")
    assert [c["name"] for c in body["tool_calls"]] == ["submit_support_request", "cookbook_search", "cookbook_read"]
    assert agent_a.balance_micros == 190_000
    assert ticket.support_session.messages.filter(author="triage_bot").count() == 1


@pytest.mark.parametrize("arguments", ["", "{}", '{"category": "bug"}', "[1, 2]", '{"category": "bug", "subject": 5'])
def test_malformed_ticket_arguments_are_refused_and_nothing_is_charged(agent_a, llm_stub, arguments):
    llm_stub.script(tool_call_response(("submit_support_request", arguments)), text_response("Could not file it."))
    body = _chat(agent_a, "my export is broken")
    [call] = body["tool_calls"]
    assert call["name"] == "submit_support_request" and call["result"] is None
    assert call["error"]["code"] == "VALIDATION_ERROR"
    assert body["messages"][-1]["text"] == "Could not file it."
    assert (body["ticket"], Ticket.objects.count(), agent_a.balance_micros) == (None, 0, 200_000)
    assert LedgerEntry.objects.exclude(kind="grant").count() == 0
