"""The offline, deterministic Enrich Agent (LLM_PROVIDER=builtin, the default).

It recognises requests to open a ticket ("file a support ticket — …", "report a bug: …", "open a
ticket about …") and billing/account complaints ("I was charged twice", "can't log in"), infers a
category and a one-line subject, and calls `submit_support_request`. Requests too vague to file
get a question back. Everything else is answered from the cookbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from .answers import docs_answer, tool_error_text
from .base import ProviderReply, ToolRunner, TurnInput

SUBJECT_MAX = 120
MIN_DETAIL_WORDS = 3  # meaningful words a generic "file a ticket …" needs before we file it

_LEAD = r"^\s*(?:(?:please|pls|hi|hello|hey|can you|could you|would you|i want to|i'd like to|i would like to|" \
        r"i need to|let's|help me|kindly)[\s,]+)*"
_SEPARATORS = " \t\n:;,.—–-"
_TICKET_REQUEST = re.compile(
    _LEAD + r"(?:file|open|create|submit|raise|log|start|make|send)\s+(?:me\s+)?(?:a|an|the)?\s*(?:new\s+)?"
    r"(?:support\s+)?(?:ticket|request|case)\b(?:\s+(?:about|for|regarding|re|on|because|saying))?",
    re.IGNORECASE,
)
_BUG_REQUEST = re.compile(
    _LEAD + r"(?:(?:report|reporting|file|filing)\s+(?:a\s+|this\s+|the\s+)?bug(?:\s+report)?|bug\s+report|bug(?=\s*[:—–]))"
    r"(?:\s+(?:about|in|with|on|for))?",
    re.IGNORECASE,
)
_COMPLAINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("billing", re.compile(
        r"\b(?:charged\s+(?:me\s+)?(?:twice|two times|double)|double[-\s]?charged?|overcharged|"
        r"(?:want|need|get)\s+(?:a\s+)?refund|charged\s+for\s+(?:a\s+|the\s+)?ticket)", re.IGNORECASE)),
    ("account", re.compile(
        r"\b(?:can'?t|cannot|can not|unable to|couldn'?t)\s+(?:log|sign)\s*(?:in|on)\b|\blocked\s+out\b|"
        r"\blost\s+my\s+(?:token|key)\b|\btoken\s+(?:is\s+|was\s+|gets\s+|keeps\s+getting\s+)?"
        r"(?:rejected|invalid|revoked|not\s+working)", re.IGNORECASE)),
)
_CATEGORY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("billing", re.compile(r"\b(?:charge[sd]?|billing|billed|refund|invoice|payment|paid|pay|balance|x402|usdc|"
                           r"price|ledger|money|credit)\b", re.IGNORECASE)),
    ("account", re.compile(r"\b(?:log\s*in|login|sign\s*in|token|password|account|locked|401|403|revoked|rotate|"
                           r"usage\s+key|access|permission)\b", re.IGNORECASE)),
    ("bug", re.compile(r"\b(?:bug|error|errors|fail|fails|failed|failing|broken|crash(?:es|ed)?|times?\s+out|"
                       r"timed?\s*out|timeout|500|502|503|exception|not\s+working|doesn'?t\s+work|wrong|expected|"
                       r"returns?|slow|hangs?|missing)\b", re.IGNORECASE)),
)
_FILLER = frozenset(
    "a an the i me my we our you it is am are was be to of in on for with about and or please pls can could would "
    "want need like help support ticket tickets file open create submit raise issue problem request case some "
    "something have has got there this that just new hi hello hey thanks assist sos bug report".split()
)
_VAGUE_HINT = re.compile(r"\b(?:help|support|problem|issue|ticket|bug|assist|sos|broken)\b", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z0-9$']+")
_SMALL_TALK = re.compile(r"^\s*(?:hi|hello|hey|yo|good\s+(?:morning|afternoon|evening)|thanks|thank\s+you|ok|okay)"
                         r"(?:\s+there)?[\s!.,]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    kind: Literal["ticket", "vague", "question", "small_talk"]
    category: str = ""
    subject: str = ""
    body: str = ""


def _meaningful_words(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text.lower()) if w not in _FILLER and (len(w) > 1 or w.isdigit())]


def category_infer(text: str) -> str:
    """The category whose words appear most often; ties go to billing, then account, then bug."""
    counts = [(len(pattern.findall(text)), -rank, category) for rank, (category, pattern) in enumerate(_CATEGORY_WORDS)]
    hits, _, category = max(counts)
    return category if hits else "other"


_CLAUSE_END = re.compile(r"[.!?;](?=\s|$)|\n|,\s|\s[—–-]\s|:\s")


def subject_infer(text: str) -> str:
    """A one-line subject: the first clause (at least three words of it), ≤120 chars at a word boundary."""
    text = re.sub(r"^(?:hi|hello|hey)\b[\s,!.]*", "", text.strip(), flags=re.IGNORECASE)
    text = text.strip(_SEPARATORS)
    clause = text
    for match in _CLAUSE_END.finditer(text):
        if len(text[: match.start()].split()) >= 3:
            clause = text[: match.start()]
            break
    clause = " ".join(clause.split()).strip(_SEPARATORS) or "Support request"
    if len(clause) > SUBJECT_MAX:
        cut = clause[: SUBJECT_MAX - 1]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        clause = cut.rstrip(_SEPARATORS) + "…"
    return clause[0].upper() + clause[1:]


def intent_classify(text: str) -> Intent:
    """What the user wants: a ticket (with category and subject), more detail first, or an answer."""
    text = text.strip()
    bug = _BUG_REQUEST.match(text)
    request = bug or _TICKET_REQUEST.match(text)
    remainder = text[request.end():].strip(_SEPARATORS) if request else text
    complaint = next((cat for cat, pattern in _COMPLAINTS if pattern.search(text)), None)
    if complaint is not None:
        return Intent("ticket", complaint, subject_infer(remainder or text), text)
    if request is not None:
        if len(_meaningful_words(remainder)) < MIN_DETAIL_WORDS:
            return Intent("vague")
        category = "bug" if bug else category_infer(remainder)
        return Intent("ticket", category, subject_infer(remainder), text)
    if _SMALL_TALK.match(text):
        return Intent("small_talk")
    if _VAGUE_HINT.search(text) and not _meaningful_words(text):
        return Intent("vague")
    return Intent("question")


ASK_FOR_DETAIL = (
    "I can open a support ticket for you ($0.01, charged once), but I need a little more to go on first. "
    "Please tell me:\n"
    "• what you were doing (endpoint, tool or page),\n"
    "• what happened (error code, message, request_id),\n"
    "• what you expected instead.\n\n"
    "For example: “file a support ticket — my export times out after 30 seconds, expected a CSV”. "
    "Or ask me a question about the API and I'll answer from the cookbook."
)

GREETING = (
    "Hi! I'm the Enrich Agent. I answer questions about this API from the cookbook (/cookbook) and open support "
    "tickets for you ($0.01 each, follow-ups free). Try “How do I verify webhook signatures?” or "
    "“file a support ticket — my export times out after 30 seconds, expected a CSV”."
)

NOTHING_FOUND = (
    "I couldn't find that in the cookbook. Try asking about tickets, billing and x402, usage keys, "
    "event callbacks (webhooks) or MCP — or say “file a support ticket — …” with what went wrong, and I'll "
    "open a ticket ($0.01) so an operator can help."
)


def ticket_confirmation(ticket: dict[str, Any]) -> str:
    lines = [
        f"Done — I opened support ticket #{ticket['number']} “{ticket['subject']}” "
        f"(category {ticket['category']}, {ticket['ticket_id']}).",
        f"Charged ${ticket['charged_usd']} ({ticket['payment_method'].replace('_', ' ')}); "
        f"your balance is now ${ticket['virtual_balance_usd']}.",
        f"Follow-ups are free in its support thread: {ticket['open_url']}",
    ]
    if ticket.get("bounty"):
        lines.append(f"Bug tickets are eligible for the ${ticket['bounty']['amount_usd']} bug bounty once an "
                     "operator confirms the bug.")
    return "\n".join(lines)


class BuiltinProvider:
    name = "builtin"

    def run_turn(self, *, turn: TurnInput, run_tool: ToolRunner) -> ProviderReply:
        intent = intent_classify(turn.message)
        if intent.kind == "small_talk":
            return ProviderReply(GREETING, {"intent": "small_talk"})
        if intent.kind == "vague":
            return ProviderReply(ASK_FOR_DETAIL, {"intent": "vague"})
        if intent.kind == "ticket":
            arguments = {"category": intent.category, "subject": intent.subject, "body": intent.body}
            outcome = run_tool("submit_support_request", arguments)
            if outcome.ok and outcome.result is not None:
                return ProviderReply(ticket_confirmation(outcome.result), {"intent": "ticket"})
            return ProviderReply(tool_error_text(outcome, draft=arguments), {"intent": "ticket"})
        answer = docs_answer(query=turn.message, run_tool=run_tool)
        if answer is None:
            return ProviderReply(NOTHING_FOUND, {"intent": "question"})
        text = (f"{answer.cited()}\n\nFull recipe: {answer.url}\n"
                "If that doesn't solve it, say “file a support ticket — …” and I'll open one for you ($0.01).")
        return ProviderReply(text, {"intent": "question", "recipe": answer.slug})
