"""Any OpenAI-compatible chat-completions server with tool calling (LLM_PROVIDER=openai).

POST {LLM_BASE_URL}/chat/completions with the registry's tools as JSON-schema functions; run the
tool calls the model asks for (through the turn's recorded runner), send the results back, and
stop after LLM_MAX_TOOL_ROUNDS rounds. Every failure of the model server — timeout, connection
refused, non-2xx, a body that is not a chat completion — is a ProviderError that says whether a
retry may help; a bad tool call from the model (unknown name, arguments that are not JSON) is
answered with a tool error and the turn goes on.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from agent.tools import REGISTRY

from .base import ProviderError, ProviderReply, ToolRunner, TurnInput

logger = logging.getLogger(__name__)

HISTORY_MESSAGES = 20  # earlier chat messages sent as context
HISTORY_CHARS = 4_000  # per message
TOOL_RESULT_CHARS = 12_000  # a recipe's Markdown is the biggest result; keep requests bounded

SYSTEM_PROMPT = """You are the Enrich Agent of the 411data support desk, talking to an API customer (often another agent).
- When the user asks to file/open a support ticket, reports a bug, or complains about billing or account access, call
  submit_support_request with category (bug | billing | account | other), a one-line subject of at most 120 characters
  and a body holding the user's own description. It costs $0.01, charged once; never call it twice for one request.
- If a request to open a ticket is too vague to act on, ask for what happened, what was expected and any request_id.
- Answer other questions from the cookbook: call cookbook_search, then cookbook_read, and quote the relevant part with
  its link (/cookbook/<slug>). Do not invent endpoints.
- If a tool returns an error, explain it plainly. PAYMENT_REQUIRED means the virtual balance is too low: say so and point
  to an x402 PAYMENT-SIGNATURE retry of POST /api/v1/support/tickets or /cookbook/billing.
Be brief."""


def tools_schema(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The registry's tools as chat-completions `tools`, in registry order."""
    return [
        {"type": "function",
         "function": {"name": tool.name, "description": tool.description, "parameters": tool.input_schema}}
        for tool in REGISTRY.values() if tool.name in names
    ]


def _history(turn: TurnInput) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in turn.history[-HISTORY_MESSAGES:]:
        text = item.text[:HISTORY_CHARS]
        if item.author == "user":
            out.append({"role": "user", "content": text})
        elif item.author == "assistant":
            out.append({"role": "assistant", "content": text})
        else:  # system notices (e.g. "Support ticket #4 opened") are context the model should see
            out.append({"role": "assistant", "content": f"[{item.author} notice] {text}"})
    return out


@dataclass(frozen=True)
class OpenAICompatibleProvider:
    base_url: str
    api_key: str
    model: str
    timeout_seconds: float
    max_tool_rounds: int
    name: str = "openai"
    # "auto", or a tool name the first round must call (small local models rarely call tools on "auto").
    first_tool_choice: str = "auto"
    max_tokens: int | None = None

    @classmethod
    def from_settings(cls) -> OpenAICompatibleProvider:
        return cls(
            base_url=settings.LLM_BASE_URL.rstrip("/"), api_key=settings.LLM_API_KEY, model=settings.LLM_MODEL,
            timeout_seconds=settings.LLM_TIMEOUT_SECONDS, max_tool_rounds=max(0, settings.LLM_MAX_TOOL_ROUNDS),
        )

    def run_turn(self, *, turn: TurnInput, run_tool: ToolRunner) -> ProviderReply:
        if not self.base_url:
            raise ProviderError("LLM_BASE_URL is not configured.", retryable=False)
        messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}, *_history(turn),
                                          {"role": "user", "content": turn.message}]
        tools = tools_schema(turn.tool_names)
        for round_no in range(self.max_tool_rounds + 1):
            last_round = round_no == self.max_tool_rounds
            message = self._complete(messages, tools, allow_tools=not last_round, first=round_no == 0)
            calls = message.get("tool_calls") or []
            if not calls or last_round:
                text = message.get("content")
                if isinstance(text, str) and text.strip():
                    return ProviderReply(text.strip(), {"model": self.model, "rounds": round_no + 1})
                if calls:
                    return ProviderReply(
                        f"I stopped after {self.max_tool_rounds} round(s) of tool calls without a final answer. "
                        "Please rephrase or narrow the request.", {"model": self.model, "rounds": round_no + 1})
                raise ProviderError("The model returned an empty answer.", retryable=True)
            messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": calls})
            for call in calls:
                messages.append(self._run_call(call, run_tool))
        raise AssertionError("unreachable: the last round always returns")  # pragma: no cover

    def _run_call(self, call: Any, run_tool: ToolRunner) -> dict[str, Any]:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ProviderError("The model sent a malformed tool call.", retryable=True)
        raw = function.get("arguments") or "{}"
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            arguments = raw[:2000]  # not JSON: the registry refuses non-objects and the refusal is recorded
        outcome = run_tool(function["name"], arguments)
        content = {"result": outcome.result} if outcome.ok else {"error": outcome.error}
        return {"role": "tool", "tool_call_id": str(call.get("id", "")),
                "content": json.dumps(content, ensure_ascii=False, default=str)[:TOOL_RESULT_CHARS]}

    def _complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, allow_tools: bool,
                  first: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.max_tokens:
            payload["max_tokens"] = self.max_tokens
        if tools:
            payload["tools"] = tools
            payload["tool_choice"] = "auto" if allow_tools else "none"
            forced = self.first_tool_choice
            if first and allow_tools and forced != "auto" and any(t["function"]["name"] == forced for t in tools):
                payload["tool_choice"] = {"type": "function", "function": {"name": forced}}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            response = requests.post(f"{self.base_url}/chat/completions", json=payload, headers=headers,
                                     timeout=self.timeout_seconds, allow_redirects=False)
        except requests.Timeout as exc:
            raise ProviderError(f"The model did not answer within {self.timeout_seconds:g} s.", retryable=True) from exc
        except requests.RequestException as exc:
            raise ProviderError("The model server could not be reached.", retryable=True) from exc
        if response.status_code >= 400:
            logger.warning("LLM server answered %s: %s", response.status_code, response.text[:500])
            retryable = response.status_code >= 500 or response.status_code == 429
            raise ProviderError(f"The model server answered HTTP {response.status_code}.", retryable=retryable)
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError("The model server sent an answer that is not a chat completion.", retryable=True) from exc
        if not isinstance(message, dict):
            raise ProviderError("The model server sent an answer that is not a chat completion.", retryable=True)
        return message
