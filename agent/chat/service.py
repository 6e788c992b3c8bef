"""One Enrich Agent turn (POST /api/v1/demo/chat, SPEC §4.2 and §5).

Order, and why:
1. Ownership and kind first: another agent's session is a 404; a support thread is
   `409 SUPPORT_THREAD_NO_LLM` with nothing stored and nothing charged.
2. The user's message is committed before the model runs, so a failed turn still shows what was asked.
3. The provider runs outside any transaction: it may call a model over HTTP, and the paid tool
   (`submit_support_request`) runs the billing waterfall in its own durable transaction.
4. Every tool call goes through the shared registry and is recorded; a second successful ticket in
   one turn is refused, so a looping model can't charge twice.
5. A model that fails (timeout, dead server, garbage) hands the turn to the builtin agent, with a
   visible note; the recorder still refuses a second ticket, so nothing is charged twice.
6. A ticket opened in the turn gets post-open triage, mirrored into its thread as `triage_bot`,
   and the conversation state then waits for the answer to "Does this answer your question?".
7. The assistant reply is stored with the tool calls in its metadata; the conversation state
   (`DemoSession.agent_state`) is written back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.principal import Principal
from agent.language.phrases import say
from agent.tools import REGISTRY, ToolContext, tool_call, tool_error_payload
from demo_sessions.models import Author, DemoSession, Message, SessionKind
from demo_sessions.selectors import public_messages, session_get_for_agent
from demo_sessions.services import enrich_session_create, message_append
from support_project.domain import Conflict, DomainError

from .base import ChatProvider, HistoryItem, ProviderError, ProviderReply, ToolOutcome, TurnInput
from .builtin import BuiltinProvider, ticket_confirmation
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


def _ticket_state(ticket: dict[str, Any]) -> dict[str, Any]:
    return {k: ticket[k] for k in ("ticket_id", "number", "subject", "support_session_id", "open_url") if k in ticket}


def _mirror_note(*, state: dict[str, Any], text: str) -> None:
    """A note for operators in the thread of the chat's ticket (e.g. "the triage answer did not solve it")."""
    ticket = state.get("ticket") or {}
    if text and ticket.get("ticket_id"):
        triage_mirror(ticket_id=ticket["ticket_id"], triage=Triage(text, None))


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
    state = dict(session.agent_state or {})
    turn = TurnInput(message=message, history=history, session_id=session.id, tool_names=_allowed_tools(principal),
                     state=state)
    metadata: dict[str, Any] = {"provider": provider.name}
    try:
        reply = provider.run_turn(turn=turn, run_tool=recorder.run)
    except ProviderError as exc:
        # The model failed: the builtin agent answers this turn, and says so.
        logger.warning("chat provider %s failed: %s", provider.name, exc)
        metadata["provider_error"] = {"message": str(exc), "retryable": exc.retryable}
        if recorder.ticket is not None:  # the model filed, then failed: report the ticket, don't act again
            reply = ProviderReply(ticket_confirmation(recorder.ticket, str(state.get("lang", "en"))))
        else:
            reply = BuiltinProvider().run_turn(turn=turn, run_tool=recorder.run)
        lang = str((reply.state or state).get("lang", "en"))
        reply.text = f"{reply.text}\n\n{say('model_fallback', lang, error=str(exc))}"
        metadata["fallback"] = "builtin"
    text = reply.text
    metadata.update(reply.metadata)
    new_state = dict(reply.state if reply.state is not None else state)

    triage: Triage | None = None
    if recorder.ticket is not None:
        lang = str(new_state.get("lang", "en"))
        triage = triage_compose(ticket=recorder.ticket, body=recorder.ticket_body, run_tool=recorder.run, lang=lang)
        text = f"{text}\n\n{triage.text}"
        metadata.update(ticket_id=recorder.ticket["ticket_id"], triage_recipe=triage.recipe_slug)
        new_state.update(ticket=_ticket_state(recorder.ticket), pending="triage")
        new_state.pop("draft", None)
    metadata["tool_calls"] = [call.as_json() for call in recorder.calls]
    assistant = _message_store(session=session, author=Author.ASSISTANT, text=text, metadata=metadata)
    DemoSession.objects.filter(id=session.id).update(agent_state=new_state)
    if triage is not None and recorder.ticket is not None:
        triage_mirror(ticket_id=recorder.ticket["ticket_id"], triage=triage)
    _mirror_note(state=new_state, text=reply.mirror)

    turn_filter = Q(id__in=[user_message.id, assistant.id])
    if recorder.ticket is not None:
        turn_filter |= Q(author=Author.SYSTEM, metadata__ticket_id=recorder.ticket["ticket_id"])
    messages = list(public_messages(session=session).filter(turn_filter))
    session.refresh_from_db()
    return TurnResult(session=session, messages=messages, tool_calls=recorder.calls, ticket=recorder.ticket)
