"""Highlighted search hits for the staff list (issue #15 item 6): PostgreSQL's ts_headline, made
safe to show.

ts_headline returns the document's own text with the matched words between StartSel and StopSel.
We use two private-use characters as those markers and remove them from the documents first, so
after `highlight_html` escapes the whole string, the only markers left are ts_headline's own and
become `<mark>…</mark>`: customer text can never inject markup, or fake a highlight.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db.models import F, Func, OuterRef, QuerySet, Subquery, TextField, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from demo_sessions.models import Author, Message

from .models import Ticket

# Bot and triage text, left out of searches by default: the triage bot's quoted recipes, the
# Enrich Agent's answers in the source chat, system notices ("Bug bounty credited…").
BOT_AUTHORS = (Author.TRIAGE_BOT, Author.ASSISTANT, Author.SYSTEM)

START, STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{START}(.*?){STOP}", re.DOTALL)
SNIPPET_SOURCE_CHARS = 20_000  # ts_headline's cost grows with the document: the thread's start is enough


def _without_markers(expression: object) -> Func:
    return Func(expression, Value(START + STOP), Value(""), function="translate", output_field=TextField())


def with_search_hits(qs: QuerySet[Ticket], *, query: SearchQuery, include_bots: bool) -> QuerySet[Ticket]:
    """Annotate `search_subject`, `search_agent` and `search_snippet` (marked text) on PostgreSQL.

    They are output columns of the list query: PostgreSQL computes them only for the rows the
    page returns (after ORDER BY … LIMIT), so the cost is per page, not per match.
    """
    if not settings.IS_POSTGRES:
        return qs
    thread = Message.objects.filter(session_id=OuterRef("support_session_id"))
    if not include_bots:
        thread = thread.exclude(author__in=BOT_AUTHORS)
    thread_text = Subquery(
        thread.order_by().values("session_id")
        .annotate(text=StringAgg("text", delimiter=" ", order_by=("created_at", "id"))).values("text")[:1],
        output_field=TextField(),
    )
    snippet_source = Func(thread_text, Value(SNIPPET_SOURCE_CHARS), function="left", output_field=TextField())
    return qs.annotate(
        search_subject=_headline(F("subject"), query, highlight_all=True),
        search_agent=_headline(F("agent__name"), query, highlight_all=True),
        search_snippet=_headline(snippet_source, query, max_words=24, min_words=8, max_fragments=2,
                                 fragment_delimiter=" … "),
    )


def _headline(text: object, query: SearchQuery, **options: Any) -> SearchHeadline:
    """ts_headline over `text` (markers removed first) with our markers as StartSel/StopSel."""
    return SearchHeadline(_without_markers(text), query, config="english", start_sel=START, stop_sel=STOP,
                          **options)


def highlight_html(text: str | None, *, only_if_matched: bool = False) -> SafeString:
    """Escape `text`, then turn the highlight markers into `<mark>`. "" for no text, or (with
    `only_if_matched`) when nothing in it matched."""
    if not text or (only_if_matched and START not in text):
        return mark_safe("")  # noqa: S308 - empty
    html = _MARKED.sub(lambda m: f"<mark>{m.group(1)}</mark>", escape(text))
    return mark_safe(html.replace(START, "").replace(STOP, ""))  # noqa: S308 - escaped above; markers only


def search_hits_json(ticket: object) -> dict[str, str] | None:
    """`highlight` of a staff API row: HTML (escaped, matches in <mark>), or None when not searching."""
    subject = getattr(ticket, "search_subject", None)
    if subject is None:
        return None
    return {
        "subject": str(highlight_html(subject)),
        "agent_name": str(highlight_html(getattr(ticket, "search_agent", ""))),
        "snippet": str(highlight_html(getattr(ticket, "search_snippet", ""), only_if_matched=True)),
    }
