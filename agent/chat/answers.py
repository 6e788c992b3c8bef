"""Texts the Enrich Agent composes without a model: cookbook quotes and tool-error explanations.

The builtin provider and post-open triage both answer "from the docs": they pick the section of a
recipe that shares most words with the question and quote it as plain text, with a link. All of
it is deterministic, so tests (and operators reading a triage note) see stable answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .base import ToolOutcome, ToolRunner

_WORD_RE = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be but by can do does for from how i if in into is it its me my no not of on or our so "
    "that the their then there these this to was we what when where which who why will with you your please "
    "hi hello thanks thank".split()
)
QUOTE_CHARS = 700


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def terms_of(text: str) -> set[str]:
    return {_stem(w) for w in _WORD_RE.findall(text.lower().replace("_", " ")) if w not in _STOP}


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the text before the first "##"
    lines: tuple[str, ...]


def recipe_sections(markdown: str) -> list[Section]:
    """Split a recipe at its `##` headings (code blocks may hold `#` comments: they are not headings)."""
    sections: list[Section] = []
    lines: list[str] = []
    heading, in_code = "", False
    for raw in markdown.splitlines():
        if raw.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and raw.startswith("## "):
            sections.append(Section(heading, tuple(lines)))
            heading, lines = raw[3:].strip(), []
        elif not in_code and raw.startswith("# "):
            continue  # the recipe title
        else:
            lines.append(raw)
    sections.append(Section(heading, tuple(lines)))
    return [s for s in sections if any(line.strip() for line in s.lines)]


def best_section(markdown: str, query: str) -> Section | None:
    """The section sharing most words with `query`; words in its heading count three times."""
    wanted = terms_of(query)
    best, best_score = None, 0
    for section in recipe_sections(markdown):
        score = 3 * len(wanted & terms_of(section.heading)) + len(wanted & terms_of("\n".join(section.lines)))
        if score > best_score:
            best, best_score = section, score
    return best


_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_ITEM = re.compile(r"\s*([-*+]|\d+\.)\s")


def _plain(line: str) -> str:
    line = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", line)
    return line.replace("**", "").rstrip()


def _units(lines: tuple[str, ...]) -> list[str]:
    """A section as quotable units: paragraphs, list items, table rows ("a — b") and whole code blocks.

    A blank string marks a paragraph break."""
    units: list[str] = []
    code: list[str] | None = None
    table: list[str] = []

    def flush_table() -> None:
        rows = [[c.strip() for c in row.strip().strip("|").split("|")] for row in table]
        if len(table) > 1 and set(table[1].replace("|", "").strip()) <= set("-: "):
            rows = rows[2:]  # the header and its separator
        units.extend(" — ".join(_plain(c) for c in row if c) for row in rows)
        table.clear()

    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith("```"):
            if code is None:
                code = []
            else:
                units.append("\n".join(code))
                code = None
            continue
        if code is not None:
            code.append(raw.rstrip())
            continue
        if stripped.startswith("|"):
            table.append(stripped)
            continue
        if table:
            flush_table()
        if not stripped:
            if units and units[-1] != "":
                units.append("")
        elif _ITEM.match(raw) or not units or units[-1] == "" or "\n" in units[-1]:
            units.append(_plain(stripped))
        else:
            units[-1] = f"{units[-1]} {_plain(stripped)}"  # a hard-wrapped line of the same paragraph or item
    if table:
        flush_table()
    return units


def section_quote(section: Section, *, max_chars: int = QUOTE_CHARS) -> str:
    """The section as plain text, cut between units so a step or a code sample is never half-quoted."""
    kept: list[str] = []
    used = 0
    for unit in _units(section.lines):
        if used + len(unit) > max_chars and any(kept):
            break
        kept.append(unit)
        used += len(unit) + 1
    return "\n".join(kept).strip()


@dataclass(frozen=True)
class DocAnswer:
    slug: str
    title: str
    url: str
    heading: str
    quote: str

    def cited(self) -> str:
        where = f"“{self.title}” ({self.url})"
        if self.heading:
            where += f", section: {self.heading}"
        return f"From the cookbook — {where}:\n\n{self.quote}"


def docs_answer(*, query: str, run_tool: ToolRunner, prefer: tuple[str, ...] = ()) -> DocAnswer | None:
    """Search the cookbook (a recorded tool call), read the best recipe and quote its best section.

    `prefer`: slugs read first when they are among the hits (triage's connect_wizards, …).
    """
    found = run_tool("cookbook_search", {"query": query[:500]})
    hits = (found.result or {}).get("results", []) if found.ok else []
    slugs = [h["slug"] for h in hits]
    slug = next((s for s in prefer if s in slugs), slugs[0] if slugs else None)
    if slug is None:
        return None
    read = run_tool("cookbook_read", {"slug": slug})
    if not read.ok or read.result is None:
        return None
    recipe: dict[str, Any] = read.result
    section = best_section(recipe["markdown"], query)
    quote = section_quote(section) if section else ""
    return DocAnswer(slug=recipe["slug"], title=recipe["title"], url=recipe["url"],
                     heading=section.heading if section else "", quote=quote or recipe["summary"])


# --- explaining tool errors ----------------------------------------------------------------------------

def payment_required_text(error: dict[str, Any], *, draft: dict[str, Any] | None = None) -> str:
    """The 402 in plain words, with both ways out: top up, or pay per request with x402."""
    price = error.get("price_usd", "0.01")
    balance = error.get("virtual_balance_usd", "0.00")
    accepts = ((error.get("x402") or {}).get("accepts") or [{}])[0]
    lines = [
        f"I couldn't open the ticket: it costs ${price} and your virtual balance is ${balance}. "
        "Nothing was created and nothing was charged.",
        "",
        "Two ways to file it:",
        "1. Top up: add credit to your agent's virtual balance (see /cookbook/billing), then ask me again.",
        "2. Pay per request with x402 (v2, exact scheme): POST /api/v1/support/tickets with the same "
        "category, subject and body, get the 402 with its PAYMENT-REQUIRED header, sign the payment and "
        "retry with a PAYMENT-SIGNATURE header.",
    ]
    if accepts:
        lines.append(
            f"   It asks for amount {accepts.get('amount', '10000')} (USDC atomic units) on "
            f"{accepts.get('network', 'eip155:84532')} to {accepts.get('payTo', 'the payTo address')}."
        )
    if draft:
        lines += ["", "The ticket I would have filed:", f"category: {draft.get('category')}",
                  f"subject: {draft.get('subject')}"]
    lines += ["", "The full example with the official x402 SDK is at /cookbook/billing."]
    return "\n".join(lines)


def tool_error_text(outcome: ToolOutcome, *, draft: dict[str, Any] | None = None) -> str:
    error = outcome.error or {}
    code = error.get("code", "ERROR")
    if code == "PAYMENT_REQUIRED":
        return payment_required_text(error, draft=draft)
    if code == "INSUFFICIENT_SCOPE":
        return (f"This token may not use {outcome.name}: {error.get('message', '')} "
                "Use the admin bearer or a usage key with the right scope (see /cookbook/usage_keys).")
    details = error.get("details") or {}
    detail_text = "; ".join(f"{field}: {', '.join(map(str, reasons if isinstance(reasons, list) else [reasons]))}"
                            for field, reasons in details.items())
    suffix = f" ({detail_text})" if detail_text else ""
    return f"The {outcome.name} tool failed with {code}: {error.get('message', '')}{suffix}"
