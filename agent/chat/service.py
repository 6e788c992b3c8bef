"""One Enrich Agent turn (POST /api/v1/demo/chat, SPEC §4.2 and §5).

Order, and why:
1. Ownership and kind first: another agent's session is a 404; a support thread is
   `409 SUPPORT_THREAD_NO_LLM` with nothing stored and nothing charged.
2. The user's message is committed before the model runs, so a failed turn still shows what was asked.
3. The provider runs outside any transaction: it may call a model over HTTP, and the paid tool
   (`submit_support_request`) runs the billing waterfall in its own durable transaction.
4. Every tool call goes through the shared registry and is recorded; a second successful ticket in
   one turn is refused, so a looping model can't charge twice.
5. A ticket opened in the turn gets post-open triage, mirrored into its thread as `triage_bot`.
6. The assistant reply is stored with the tool calls in its metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.principal import Principal
from agent.tools import REGISTRY, ToolContext, tool_call, tool_error_payload
from demo_sessions.models import Author, DemoSession, Message, SessionKind
from demo_sessions.selectors import public_messages, session_get_for_agent
from demo_sessions.services import enrich_session_create, message_append
from support_project.domain import Conflict, DomainError

from .base import ChatProvider, HistoryItem, ProviderError, ToolOutcome, TurnInput
from .builtin import ticket_confirmation
from .providers import provider_get
from .triage import Triage, triage_compose, triage_mirror

logger = logging.getLogger(__name__)

SUBMIT = "submit_support_request"
TITLE_MAX = 80
HISTORY_LIMIT = 40


class SupportThreadNoLLM(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "SUPPORT_THREAD_NO_LLM",
            "The Enrich Agent does not answer in support threads. Post follow-ups with "
            "POST /api/v1/demo/sessions/{id}/messages (free), or chat in an enrich session.",
        )


@dataclass
class TurnResult:
    session: DemoSession
    messages: list[Message]
    tool_calls: list[ToolOutcome]
    ticket: dict[str, Any] | None


@dataclass
class _ToolRecorder:
    """Runs tools for one turn through the registry and keeps the transcript of calls."""

    context: ToolContext
    calls: list[ToolOutcome] = field(default_factory=list)
    ticket: dict[str, Any] | None = None
    ticket_body: str = ""

    def run(self, name: str, arguments: Any) -> ToolOutcome:
        outcome = self._call(name, arguments)
        self.calls.append(outcome)
        if name == SUBMIT and outcome.ok and outcome.result is not None:
            self.ticket = outcome.result
            self.ticket_body = str(arguments.get("body", "")) if isinstance(arguments, dict) else ""
        return outcome

    def _call(self, name: str, arguments: Any) -> ToolOutcome:
        if name == SUBMIT and self.ticket is not None:
            return ToolOutcome(name, arguments, error={
                "code": "TICKET_ALREADY_OPENED", "details": {},
                "message": f"Ticket #{self.ticket['number']} was already opened in this turn; not charging again.",
            })
        try:
            return ToolOutcome(name, arguments, result=tool_call(name=name, arguments=arguments, context=self.context))
        except DomainError as exc:
            return ToolOutcome(name, arguments, error=tool_error_payload(exc))
        except Exception:  # noqa: BLE001 - a crashing tool must not lose the turn; it is logged with its trace
            logger.exception("chat tool %s crashed", name)
            return ToolOutcome(name, arguments, error={
                "code": "INTERNAL_ERROR", "message": "The tool failed on our side; it has been logged.", "details": {},
            })


def title_from_message(message: str) -> str:
    line = " ".join(message.strip().splitlines()[0].split()) if message.strip() else ""
    if len(line) <= TITLE_MAX:
        return line
    cut = line[: TITLE_MAX - 1]
    return (cut[: cut.rfind(" ")] if " " in cut else cut).rstrip(" ,.;:—–-") + "…"


def _message_store(*, session: DemoSession, author: str, text: str, metadata: dict[str, Any] | None = None) -> Message:
    with transaction.atomic():
        return message_append(session_id=session.id, author=author, text=text, metadata=metadata)


def _allowed_tools(principal: Principal) -> tuple[str, ...]:
    return tuple(t.name for t in REGISTRY.values() if not t.scopes or principal.has_any_scope(*t.scopes))


def _failure_text(exc: ProviderError, ticket: dict[str, Any] | None) -> str:
    hint = "Please try again in a moment." if exc.retryable else "An operator needs to fix the model configuration."
    if ticket is not None:
        return f"{ticket_confirmation(ticket)}\n\n(The language model failed after that: {exc} {hint})"
    return f"Sorry — I couldn't get an answer from the language model: {exc} {hint} Nothing was charged."


def chat_turn(
    *,
    principal: Principal,
    session_id: str | None,
    message: str,
    base_url: str,
    provider: ChatProvider | None = None,
) -> TurnResult:
    """Run one Enrich Agent turn for `principal` and store it. Raises NotFound / SUPPORT_THREAD_NO_LLM."""
    assert principal.agent is not None
    agent = principal.agent
    history: tuple[HistoryItem, ...] = ()
    if session_id:
        session = session_get_for_agent(agent=agent, session_id=session_id)
        if session.session_kind != SessionKind.ENRICH:
            raise SupportThreadNoLLM()
        earlier = list(public_messages(session=session).order_by("-created_at", "-id")[:HISTORY_LIMIT])
        history = tuple(HistoryItem(m.author, m.text) for m in reversed(earlier))
    else:
        session = enrich_session_create(agent=agent, title=title_from_message(message))
    user_message = _message_store(session=session, author=Author.USER, text=message)

    provider = provider or provider_get()
    recorder = _ToolRecorder(ToolContext(principal=principal, chat_session_id=session.id, base_url=base_url))
    turn = TurnInput(message=message, history=history, session_id=session.id, tool_names=_allowed_tools(principal))
    metadata: dict[str, Any] = {"provider": provider.name}
    try:
        reply = provider.run_turn(turn=turn, run_tool=recorder.run)
        text = reply.text
        metadata.update(reply.metadata)
    except ProviderError as exc:
        logger.warning("chat provider %s failed: %s", provider.name, exc)
        text = _failure_text(exc, recorder.ticket)
        metadata["provider_error"] = {"message": str(exc), "retryable": exc.retryable}

    triage: Triage | None = None
    if recorder.ticket is not None:
        triage = triage_compose(ticket=recorder.ticket, body=recorder.ticket_body, run_tool=recorder.run)
        text = f"{text}\n\n{triage.text}"
        metadata.update(ticket_id=recorder.ticket["ticket_id"], triage_recipe=triage.recipe_slug)
    metadata["tool_calls"] = [call.as_json() for call in recorder.calls]
    assistant = _message_store(session=session, author=Author.ASSISTANT, text=text, metadata=metadata)
    if triage is not None and recorder.ticket is not None:
        triage_mirror(ticket_id=recorder.ticket["ticket_id"], triage=triage)

    turn_filter = Q(id__in=[user_message.id, assistant.id])
    if recorder.ticket is not None:
        turn_filter |= Q(author=Author.SYSTEM, metadata__ticket_id=recorder.ticket["ticket_id"])
    messages = list(public_messages(session=session).filter(turn_filter))
    session.refresh_from_db()
    return TurnResult(session=session, messages=messages, tool_calls=recorder.calls, ticket=recorder.ticket)
