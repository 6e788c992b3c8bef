"""Read side of the cookbook: the Markdown recipes in `cookbook/recipes/`, parsed once per process.

The chat tool registry, MCP and the views call `recipe_list()`, `recipe_read(slug=…)` here and
`recipe_search(query=…, limit=…)` in `cookbook.retrieval` (which reads the recipes from here).

Recipes are files shipped with the code, so they are loaded lazily on first use and cached for the
life of the process (a deploy restarts the process; `recipes_reload()` exists for tests).
Search is `cookbook.retrieval` (section-level BM25, the one ranking the chat and triage use too). It
is deterministic (ties broken by slug) because an offline triage bot quotes from the top hits and
its answers must be reproducible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown

from support_project.domain import NotFound

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
URL_PREFIX = "/cookbook/"

_SLUG_RE = re.compile(r"^[a-z0-9_]+$")

@dataclass(frozen=True)
class Recipe:
    slug: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    markdown: str
    html: str

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}{self.slug}"


@dataclass(frozen=True)
class SearchHit:
    slug: str
    title: str
    summary: str
    score: float
    snippet: str
    url: str


class RecipeFormatError(ValueError):
    """A recipe file is missing its header; raised at load so a broken file fails loudly in tests."""


# --- parsing ----------------------------------------------------------------------------------------

def _parse_file(path: Path) -> Recipe:
    """A recipe is `---` / `key: value` lines / `---` followed by the Markdown body."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise RecipeFormatError(f"{path.name}: must start with a '---' header")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration as exc:
        raise RecipeFormatError(f"{path.name}: header is not closed with '---'") from exc
    header: dict[str, str] = {}
    for line in lines[1:end]:
        if line.strip():
            key, sep, value = line.partition(":")
            if not sep:
                raise RecipeFormatError(f"{path.name}: header line without ':': {line!r}")
            header[key.strip().lower()] = value.strip()
    title, summary = header.get("title", ""), header.get("summary", "")
    if not title or not summary:
        raise RecipeFormatError(f"{path.name}: header needs both title and summary")
    keywords = tuple(k.strip() for k in header.get("keywords", "").split(",") if k.strip())
    body = "\n".join(lines[end + 1:]).strip() + "\n"
    return Recipe(
        slug=path.stem, title=title, summary=summary, keywords=keywords, markdown=body, html=_render(body)
    )


def _render(body: str) -> str:
    # The files are ours (reviewed like code), so their HTML is trusted; nothing user-supplied is
    # ever interpolated into a recipe. `toc` gives headings stable ids so answers can deep-link.
    return markdown.markdown(
        body,
        extensions=["fenced_code", "tables", "sane_lists", "toc"],
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    )


# --- the recipes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Library:
    recipes: dict[str, Recipe]


@lru_cache(maxsize=1)
def _library() -> _Library:
    paths = sorted(p for p in RECIPES_DIR.glob("*.md") if _SLUG_RE.match(p.stem))
    return _Library(recipes={r.slug: r for r in (_parse_file(p) for p in paths)})


def recipes_reload() -> None:
    """Drop the in-process cache (tests that add recipe files; never needed in production).
    `cookbook.retrieval.index_reload()` drops the search index built from it too."""
    _library.cache_clear()


# --- public selectors -------------------------------------------------------------------------------

def recipe_list() -> list[Recipe]:
    """Every recipe, ordered by title for a stable index page."""
    return sorted(_library().recipes.values(), key=lambda r: (r.title.lower(), r.slug))


def recipe_read(*, slug: str) -> Recipe:
    recipe = _library().recipes.get(slug)
    if recipe is None:
        raise NotFound(f"No cookbook recipe named {slug!r}.", details={"slug": [slug]})
    return recipe
