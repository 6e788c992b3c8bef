"""The offline, deterministic Enrich Agent (LLM_PROVIDER=builtin, the default).

It holds a conversation: the policy is `agent.dialogue` (state on the session, requests in five
languages, proposals with the price, the registry's tools after a ticket), the reading of messages
is `agent.language.nlu` (classifiers trained on the labelled files shipped with it), answers come
from the cookbook through `cookbook.retrieval`.
"""

from __future__ import annotations

from typing import Any

from agent.dialogue import builtin_turn
from agent.language.phrases import say

from .answers import docs_answer, tool_error_text
from .base import ProviderReply, ToolRunner, TurnInput


def ticket_confirmation(ticket: dict[str, Any], lang: str = "en") -> str:
    text = say("ticket_opened", lang, **{**ticket, "payment_method": str(ticket["payment_method"]).replace("_", " ")})
    if ticket.get("bounty"):
        text += "\n" + say("bounty", lang, amount_usd=ticket["bounty"]["amount_usd"])
    return text


class BuiltinProvider:
    name = "builtin"

    def run_turn(self, *, turn: TurnInput, run_tool: ToolRunner) -> ProviderReply:
        decided = builtin_turn(message=turn.message, state=turn.state, run_tool=run_tool, docs_answer=docs_answer,
                               tool_error_text=tool_error_text)
        return ProviderReply(decided.text, decided.metadata, state=decided.state, mirror=decided.mirror)
