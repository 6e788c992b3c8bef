"""The builtin Enrich Agent's conversation policy (LLM_PROVIDER=builtin; SPEC §5).

One turn = read the message (agent.language.nlu), look at the conversation state kept on the
session (`DemoSession.agent_state`), act through the tool registry, answer in the user's language.

State (a JSON object, written back by the turn service):
  lang       the chat's language (short answers like "ok" keep it)
  pending    what the agent asked last: "details" (a request without enough detail), "confirm"
             (a proposed ticket, with its price), "triage" ("Does this answer your question?"),
             "missing" (what is still missing after a "no"), "append" (what to add to the ticket)
  draft      {"text", "lead"}: the ticket being written — the user's words, without the request lead
  ticket     {"ticket_id", "number", "subject", "support_session_id", "open_url"}: the last ticket
             opened in this chat (set by the turn service for every provider)

Money rule: `submit_support_request` runs only on an explicit request with enough detail, on the
details that complete an explicit request, or on a yes to a proposal. A complaint alone is proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.language import nlu
from agent.language.phrases import say, status_word

SUBMIT = "submit_support_request"
FOLLOW_UP_INTENTS = ("status", "list", "close", "balance")


@dataclass
class Turn:
    """What the dialogue decided: the reply, the new state, a note to mirror to the ticket thread."""

    text: str
    state: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    mirror: str = ""


class Dialogue:
    def __init__(self, *, message: str, state: dict[str, Any], run_tool: Any, docs_answer: Any,
                 tool_error_text: Any) -> None:
        self.message = message.strip()
        self.state = {k: v for k, v in state.items() if k in ("lang", "draft", "ticket", "pending")}
        self.run_tool = run_tool
        self.docs_answer = docs_answer
        self.tool_error_text = tool_error_text
        known = self.state.get("lang")
        self.reading = nlu.intent_read(self.message, lang_default=str(known) if known else None)
        self.lang = self.reading.lang
        self.state["lang"] = self.lang

    # --- entry ---------------------------------------------------------------------------------

    def run(self) -> Turn:
        pending = self.state.pop("pending", None)
        handled = self._continue(pending) if pending else None
        return handled or self._fresh()

    def _reply(self, key: str, intent: str, **values: Any) -> Turn:
        return Turn(say(key, self.lang, **values), self.state, {"intent": intent, "lang": self.lang})

    # --- answers to what the agent asked -------------------------------------------------------

    def _continue(self, pending: str) -> Turn | None:
        r = self.reading
        is_question = r.intent == "question" and self.message.rstrip().endswith("?")
        if pending == "confirm":
            if r.intent == "yes":
                return self._file(self._draft_text())
            if r.intent == "no":
                self.state.pop("draft", None)
                return self._reply("declined", "declined")
            if r.intent == "request":
                return self._file(self._draft_text(r.detail))
            if r.intent == "complaint":
                self._draft_add(self.message)
                return self._propose()
            return None  # anything else: the proposal lapses (nothing is charged on a later stray "yes")
        if pending == "details":
            if r.intent == "no":
                self.state.pop("draft", None)
                return self._reply("declined", "declined")
            if is_question or (r.intent in FOLLOW_UP_INTENTS and r.confidence >= 0.6):
                self.state["pending"] = "details"  # answer that, keep waiting for the details
                return None
            if r.intent in ("greeting", "yes"):
                self.state["pending"] = "details"
                return self._reply("ask_details", "ask")
            detail = r.detail if r.intent in ("request", "no", "yes") and r.detail else self.message
            text = self._draft_text(detail)
            if nlu.has_enough_detail(text):
                return self._file(text)
            self._draft_add(detail)
            self.state["pending"] = "details"
            return self._reply("ask_details", "ask")
        if pending == "triage":
            if r.intent == "yes":
                return self._resolve()
            if r.intent == "no":
                if len(nlu.detail_words(r.detail)) >= 2:
                    return self._append(r.detail, after_no=True)
                self.state["pending"] = "missing"
                ticket = self.state.get("ticket") or {}
                turn = self._reply("not_answered", "not_answered", number=ticket.get("number", "?"),
                                   open_url=ticket.get("open_url", ""))
                turn.mirror = say("triage_not_answered_note", "en")
                return turn
            if r.intent not in ("request", "complaint"):
                self.state["pending"] = "triage"  # status, list, balance…: the question stays open
            return None
        if pending in ("missing", "append"):
            if is_question or r.intent in (*FOLLOW_UP_INTENTS, "yes", "no", "greeting"):
                return None
            return self._append(self.message, after_no=pending == "missing")
        return None

    # --- a fresh message -------------------------------------------------------------------------

    def _fresh(self) -> Turn:
        r = self.reading
        if r.intent == "greeting":
            return self._reply("greeting", "greeting")
        if r.intent == "request":
            text = self._draft_text(r.detail) if self.state.get("draft") else r.detail
            self.state.setdefault("draft", {})["lead"] = self.message
            if nlu.has_enough_detail(text):
                return self._file(text)
            self._draft_add(r.detail)
            self.state["pending"] = "details"
            return self._reply("ask_details", "ask")
        if r.intent == "complaint":
            self.state["draft"] = {"text": self.message, "lead": ""}
            return self._propose()
        if r.intent == "status":
            return self._status()
        if r.intent == "list":
            return self._list()
        if r.intent == "append":
            if r.detail:
                return self._append(r.detail)
            ticket = self._target_ticket()
            if ticket is None:
                return self._reply("no_ticket", "ask")
            self.state["pending"] = "append"
            return self._reply("ask_append", "ask", number=ticket["number"])
        if r.intent == "close":
            return self._close()
        if r.intent == "balance":
            return self._balance()
        if r.intent in ("yes", "no"):
            return self._reply("greeting", "greeting")
        return self._answer()

    # --- drafts and tickets ------------------------------------------------------------------------

    def _draft_text(self, extra: str = "") -> str:
        earlier = str((self.state.get("draft") or {}).get("text", "")).strip()
        return "\n\n".join(part for part in (earlier, extra.strip()) if part)

    def _draft_add(self, text: str) -> None:
        draft = self.state.setdefault("draft", {})
        draft["text"] = self._draft_text(text)

    def _propose(self) -> Turn:
        text = self._draft_text()
        self.state["pending"] = "confirm"
        return self._reply("propose", "propose", subject=nlu.subject_infer(text), category=nlu.category_infer(text))

    def _file(self, text: str) -> Turn:
        draft = self.state.get("draft") or {}
        text = text.strip() or self.message
        category = nlu.category_infer(f"{draft.get('lead', '')}\n{text}")
        arguments = {"category": category, "subject": nlu.subject_infer(text), "body": text}
        outcome = self.run_tool(SUBMIT, arguments)
        self.state.pop("draft", None)
        if not outcome.ok or outcome.result is None:
            return Turn(self.tool_error_text(outcome, draft=arguments), self.state,
                        {"intent": "ticket", "lang": self.lang})
        ticket = outcome.result
        lines = [say("ticket_opened", self.lang, **{**ticket, "payment_method": ticket["payment_method"].replace("_", " ")})]
        if ticket.get("bounty"):
            lines.append(say("bounty", self.lang, amount_usd=ticket["bounty"]["amount_usd"]))
        return Turn("\n".join(lines), self.state, {"intent": "ticket", "lang": self.lang})

    # --- after the ticket: the registry's tools ----------------------------------------------------

    def _target_ticket(self, *, open_only: bool = True) -> dict[str, Any] | None:
        """The ticket this chat opened, else the caller's most recent one that is not closed."""
        ticket = self.state.get("ticket")
        if isinstance(ticket, dict) and ticket.get("ticket_id"):
            return ticket
        listed = self.run_tool("list_support_tickets", {})
        for row in (listed.result or {}).get("tickets", []) if listed.ok else []:
            if not open_only or row.get("support_status") != "closed":
                return row
        return None

    def _failed(self, outcome: Any, intent: str) -> Turn:
        return Turn(self.tool_error_text(outcome), self.state, {"intent": intent, "lang": self.lang})

    def _status(self) -> Turn:
        ticket = self.state.get("ticket")
        if not (isinstance(ticket, dict) and ticket.get("ticket_id")):
            return self._list()
        outcome = self.run_tool("get_support_ticket", {"ticket_id": ticket["ticket_id"]})
        if not outcome.ok or outcome.result is None:
            return self._failed(outcome, "status")
        found = outcome.result["ticket"]
        messages = [m for m in outcome.result.get("messages", []) if m.get("author") in ("operator", "system")]
        last = ""
        if messages:
            text = " ".join(str(messages[-1]["text"]).split())
            last = say("status_last", self.lang, author=messages[-1].get("author_name") or messages[-1]["author"],
                       text=text if len(text) <= 160 else text[:159] + "…")
        return self._reply("status", "status", number=found["number"], subject=found["subject"],
                           status=status_word(found["support_status"], self.lang), last=last)

    def _list(self) -> Turn:
        outcome = self.run_tool("list_support_tickets", {})
        if not outcome.ok or outcome.result is None:
            return self._failed(outcome, "list")
        rows = outcome.result.get("tickets", [])
        if not rows:
            return self._reply("list_empty", "list")
        lines = [say("list_head", self.lang)] + [
            "- " + say("list_row", self.lang, number=t["number"], subject=t["subject"],
                       status=status_word(t["support_status"], self.lang), category=t["category"])
            for t in rows[:10]
        ]
        return Turn("\n".join(lines), self.state, {"intent": "list", "lang": self.lang})

    def _append(self, text: str, *, after_no: bool = False) -> Turn:
        ticket = self._target_ticket()
        if ticket is None:
            return self._reply("no_ticket", "ask")
        outcome = self.run_tool("append_support_message", {"support_session_id": ticket["support_session_id"],
                                                           "text": text})
        if not outcome.ok or outcome.result is None:
            return self._failed(outcome, "append")
        if after_no:
            return self._reply("mirrored", "append", number=ticket["number"], open_url=ticket["open_url"])
        return self._reply("appended", "append", number=ticket["number"],
                           status=status_word(outcome.result.get("support_status", ""), self.lang))

    def _close(self) -> Turn:
        ticket = self._target_ticket()
        if ticket is None:
            return self._reply("no_ticket", "ask")
        outcome = self.run_tool("close_support_ticket", {"ticket_id": ticket["ticket_id"]})
        if not outcome.ok:
            return self._failed(outcome, "close")
        return self._reply("closed", "close", number=ticket["number"])

    def _resolve(self) -> Turn:
        ticket = self._target_ticket()
        if ticket is None:
            return self._reply("no_ticket", "ask")
        outcome = self.run_tool("resolve_support_ticket", {"ticket_id": ticket["ticket_id"]})
        if not outcome.ok:
            return self._failed(outcome, "resolve")
        return self._reply("resolved", "resolve", number=ticket["number"], open_url=ticket["open_url"])

    def _balance(self) -> Turn:
        outcome = self.run_tool("agents_balance", {})
        if not outcome.ok or outcome.result is None:
            return self._failed(outcome, "balance")
        return self._reply("balance", "balance", **outcome.result)

    # --- questions ---------------------------------------------------------------------------------

    def _answer(self) -> Turn:
        answer = self.docs_answer(query=self.message, run_tool=self.run_tool, lang=self.lang)
        if answer is None:
            return self._reply("nothing_found", "question")
        text = f"{answer.cited(self.lang)}\n\n{say('docs_more', self.lang, url=answer.url)}"
        return Turn(text, self.state, {"intent": "question", "recipe": answer.slug, "section": answer.heading,
                                       "lang": self.lang})


def builtin_turn(*, message: str, state: dict[str, Any], run_tool: Any, docs_answer: Any,
                 tool_error_text: Any) -> Turn:
    return Dialogue(message=message, state=state, run_tool=run_tool, docs_answer=docs_answer,
                    tool_error_text=tool_error_text).run()
