"""Post-open triage (SPEC §5): right after a ticket is opened from an enrich chat, answer it from
the cookbook, ask "Does this answer your question?", and mirror that text into the ticket's support
thread as `triage_bot` so operators see what the customer was already told.

It runs for every provider (the model can't forget it) and is deterministic: the recipe and the
quoted section follow from the ticket's text alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from agent.language.phrases import say
from demo_sessions.models import Author, Message
from tickets.models import Ticket
from tickets.services import thread_message_add, ticket_lock

from .answers import DocAnswer, best_section, docs_answer, section_quote
from .base import ToolRunner

TRIAGE_QUESTION = "Does this answer your question?"  # in English; say("triage_question", lang) in others
FALLBACK_SLUG = "api_integrations"
_CONNECT_WORDS = re.compile(r"\b(?:connect|wizard|wizards|form|onboarding|enrich_agent)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Triage:
    text: str
    recipe_slug: str | None


def _fallback(*, query: str, run_tool: ToolRunner) -> DocAnswer | None:
    read = run_tool("cookbook_read", {"slug": FALLBACK_SLUG})
    if not read.ok or read.result is None:
        return None
    recipe: dict[str, Any] = read.result
    section = best_section(FALLBACK_SLUG, query)
    return DocAnswer(slug=recipe["slug"], title=recipe["title"], url=section.url if section else recipe["url"],
                     heading=section.heading if section else "",
                     quote=(section_quote(section) if section else "") or recipe["summary"])


def triage_compose(*, ticket: dict[str, Any], body: str, run_tool: ToolRunner, lang: str = "en") -> Triage:
    """Read the most relevant recipe for the ticket and write the triage answer (tool calls recorded),
    in the chat's language around the quoted (English) docs."""
    query = f"{ticket['subject']}. {body}"
    prefer = ("connect_wizards",) if _CONNECT_WORDS.search(query) else ()
    answer = docs_answer(query=query, run_tool=run_tool, prefer=prefer, lang=lang) \
        or _fallback(query=query, run_tool=run_tool)
    question = say("triage_question", lang)
    if answer is None:
        return Triage(f"{say('triage_nothing', lang, **ticket)}\n\n{question}", None)
    text = f"{say('triage_intro', lang, **ticket)}\n\n{answer.cited(lang)}\n\n{question}"
    return Triage(text, answer.slug)


def triage_mirror(*, ticket_id: str, triage: Triage) -> Message:
    """Post the triage text in the ticket's thread as `triage_bot`.

    It is not an operator reply, so the ticket keeps waiting on an operator (awaiting_operator untouched).
    """
    pk = Ticket.objects.values_list("pk", flat=True).get(public_id=ticket_id)
    with transaction.atomic():
        locked = ticket_lock(ticket_pk=pk)
        return thread_message_add(
            ticket=locked, author=Author.TRIAGE_BOT, text=triage.text, awaiting_operator=None,
            metadata={"recipe": triage.recipe_slug, "source": "enrich_chat"},
        )
