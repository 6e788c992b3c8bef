"""The OpenAI-compatible provider against a REAL model: llama.cpp's server running Gemma 3 270M on
this CPU (tests/llama_server.py). The model's judgement is poor (bench/agent_eval.py measures it);
these tests assert the protocol: a tool call parsed and run through the registry, an answer without
tool calls, and a slow server handing the turn to the builtin agent with a visible note — never a
500, never a charge. Each real turn takes seconds, so there are only a few."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import TokenKind
from accounts.principal import Principal
from agent.chat.openai_compat import OpenAICompatibleProvider
from agent.chat.service import chat_turn
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def local_model() -> Iterator[str]:
    try:
        import llama_cpp  # noqa: F401

        from tests.llama_server import llama_server
    except ImportError:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            raise
        pytest.skip("llama-cpp-python is not installed")
    with llama_server() as base_url:
        yield base_url


def _provider(base_url: str, **options: Any) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(base_url=base_url, api_key="", model="gemma3-270m", timeout_seconds=120.0,
                                    max_tool_rounds=1, max_tokens=64, **options)


def _principal(agent_a: Any) -> Principal:
    return Principal(token_id="t", kind=TokenKind.ADMIN, agent=agent_a.agent)


def test_a_forced_tool_call_is_parsed_and_run_through_the_registry(agent_a: Any, local_model: str) -> None:
    provider = _provider(local_model, first_tool_choice="cookbook_search")
    result = chat_turn(principal=_principal(agent_a), session_id=None, message="How do I verify webhook signatures?",
                       base_url="http://testserver", provider=provider)
    first = result.tool_calls[0]
    assert first.name == "cookbook_search"
    assert isinstance(first.arguments, dict)  # the server's JSON-string arguments, parsed
    assert first.ok or first.error["code"] == "VALIDATION_ERROR"  # poor arguments are refused, not crashed on
    [assistant] = [m for m in result.messages if m.author == "assistant"]
    assert assistant.text.strip()
    if "provider_error" in assistant.metadata:  # the model's second round came back empty: builtin answered
        assert assistant.text.endswith("The builtin agent answered instead.)")
    assert (result.ticket, Ticket.objects.count(), agent_a.balance_micros) == (None, 0, 200_000)


def test_an_answer_without_tool_calls_is_the_reply(agent_a: Any, local_model: str, settings: Any) -> None:
    provider = _provider(local_model)
    result = chat_turn(principal=Principal(token_id="t", kind=TokenKind.USAGE, agent=agent_a.agent,
                                           scopes=frozenset({"billing:read"})),
                       session_id=None, message="Say hello to me.", base_url="http://testserver", provider=provider)
    [assistant] = [m for m in result.messages if m.author == "assistant"]
    assert assistant.text.strip()
    assert all(c.name != "submit_support_request" for c in result.tool_calls)
    assert (result.ticket, Ticket.objects.count(), agent_a.balance_micros) == (None, 0, 200_000)


def test_a_slow_model_hands_the_turn_to_the_builtin_agent_with_a_note(agent_a: Any, local_model: str) -> None:
    provider = OpenAICompatibleProvider(base_url=local_model, api_key="", model="gemma3-270m", timeout_seconds=0.05,
                                        max_tool_rounds=1)
    result = chat_turn(principal=_principal(agent_a), session_id=None, message="How do I verify webhook signatures?",
                       base_url="http://testserver", provider=provider)
    [assistant] = [m for m in result.messages if m.author == "assistant"]
    assert assistant.metadata["provider_error"] == {"message": "The model did not answer within 0.05 s.",
                                                    "retryable": True}
    assert assistant.text.startswith("From the cookbook — [“Event callbacks (signed webhooks)”](/cookbook/event_callbacks#")
    assert assistant.text.endswith("(The language model failed: The model did not answer within 0.05 s. "
                                   "The builtin agent answered instead.)")
    assert (result.ticket, Ticket.objects.count()) == (None, 0)
