"""The one Markdown renderer for text people and bots write: chat answers, triage, operator replies.

Messages are untrusted (customers write them; models quote them), so the HTML that Markdown
produces is sanitised by nh3 (Ammonia) against a small allow-list: no raw HTML survives, no
`javascript:` links, no attributes beyond `href`/`title`/`class` on code. Bare URLs become links.
Every link opens safely (`rel="nofollow noopener noreferrer"`). Used by the `markdown` template
filter (every template) and by API fields that carry rendered HTML for the /demo page.
"""

from __future__ import annotations

import re

import markdown as md
import nh3

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_INPUT_CHARS = 100_000

# A bare URL not already inside Markdown link syntax or angle brackets: wrap it as <url> (autolink).
_BARE_URL = re.compile(r"(?<![(<\[\"'=])\bhttps?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")


def _autolink(text: str) -> str:
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        # Leave code alone: fenced blocks, indented blocks and `inline code` spans.
        if in_fence or line.startswith("    ") or line.startswith("\t"):
            out.append(line)
            continue
        parts = line.split("`")
        for i in range(0, len(parts), 2):  # even parts are outside inline code
            parts[i] = _BARE_URL.sub(lambda m: f"<{m.group(0)}>", parts[i])
        out.append("`".join(parts))
    return "\n".join(out)


def render_markdown(text: str) -> str:
    """Untrusted Markdown → sanitised HTML (a string safe to insert as HTML)."""
    html = md.markdown(
        _autolink(text[:MAX_INPUT_CHARS]),
        extensions=["fenced_code", "tables", "sane_lists", "nl2br"],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
