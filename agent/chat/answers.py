"""Texts the Enrich Agent composes without a model: cookbook quotes and tool-error explanations.

The builtin provider and post-open triage both answer "from the docs": cookbook.retrieval (the same
ranking /cookbook/search uses) picks the recipe and its best section, quoted in whole units (a code
block is never cut) with a link. All of it is deterministic, so tests (and operators reading a
triage note) see stable answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cookbook.retrieval import Section, section_quote, section_search

from .base import ToolOutcome, ToolRunner


@dataclass(frozen=True)
class DocAnswer:
    slug: str
    title: str
    url: str
    heading: str
    quote: str

    def cited(self, lang: str = "en") -> str:
        from agent.language.phrases import say

        section = say("docs_section", lang, heading=self.heading) if self.heading else ""
        return f"{say('docs_from', lang, title=self.title, url=self.url, section=section)}\n\n{self.quote}"


def best_section(slug: str, query: str) -> Section | None:
    """The section of recipe `slug` that best answers `query` (cookbook.retrieval), else its first."""
    for hit in section_search(query=query, limit=10_000):
        if hit.section.slug == slug:
            return hit.section
    return None


def docs_answer(*, query: str, run_tool: ToolRunner, prefer: tuple[str, ...] = (), lang: str = "en") -> DocAnswer | None:
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
    section = best_section(slug, query)
    quote = section_quote(section) if section else ""
    return DocAnswer(slug=recipe["slug"], title=recipe["title"], url=section.url if section else recipe["url"],
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
