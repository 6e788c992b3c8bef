"""Read side of the cookbook: the Markdown recipes in `cookbook/recipes/`, parsed once per process.

The chat tool registry, MCP and the views all call these three functions:
`recipe_list()`, `recipe_read(slug=…)`, `recipe_search(query=…, limit=…)`.

Recipes are files shipped with the code, so they are loaded lazily on first use and cached for the
life of the process (a deploy restarts the process; `recipes_reload()` exists for tests).
Search is a small BM25F ranking over title, keywords, summary and body. It is deterministic (no
randomness, ties broken by slug) because an offline triage bot quotes from the top hits and its
answers must be reproducible.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown

from support_project.domain import NotFound

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
URL_PREFIX = "/cookbook/"

_SLUG_RE = re.compile(r"^[a-z0-9_]+$")
_TOKEN_RE = re.compile(r"[a-z0-9]+")

# Field weights: a word in the title or keywords says far more about a recipe than one in the body.
_FIELD_WEIGHTS: dict[str, float] = {"title": 4.0, "keywords": 3.0, "summary": 2.0, "body": 1.0}
_BM25_K1 = 1.2
_BM25_B = 0.75
_SNIPPET_CHARS = 220

# Words that match almost every recipe and would only add noise to the ranking.
_STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i if in into is it its me my no not of on "
    "or our so that the their then there these this to was we what when where which who why will "
    "with you your".split()
)


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


# --- tokenising and the index -----------------------------------------------------------------------

def _stem(word: str) -> str:
    """A deliberately tiny stemmer: enough that "charged", "charges" and "charge" meet."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _tokens(text: str) -> list[str]:
    # Underscores split too, so "event_callbacks" and "submit_support_request" match their words.
    words = _TOKEN_RE.findall(text.lower().replace("_", " "))
    return [_stem(w) for w in words if w not in _STOPWORDS]


@dataclass(frozen=True)
class _Indexed:
    recipe: Recipe
    field_tf: dict[str, Counter[str]]
    field_len: dict[str, int]
    body_lines: tuple[str, ...]


@dataclass(frozen=True)
class _Library:
    recipes: dict[str, Recipe]
    indexed: tuple[_Indexed, ...]
    doc_freq: dict[str, int]
    avg_len: dict[str, float]


@lru_cache(maxsize=1)
def _library() -> _Library:
    paths = sorted(p for p in RECIPES_DIR.glob("*.md") if _SLUG_RE.match(p.stem))
    recipes = [_parse_file(p) for p in paths]
    indexed = []
    doc_freq: Counter[str] = Counter()
    for recipe in recipes:
        fields = {
            "title": recipe.title + " " + recipe.slug,
            "keywords": " ".join(recipe.keywords),
            "summary": recipe.summary,
            "body": recipe.markdown,
        }
        field_tf = {name: Counter(_tokens(text)) for name, text in fields.items()}
        doc_freq.update(set().union(*(set(tf) for tf in field_tf.values())))
        indexed.append(
            _Indexed(
                recipe=recipe,
                field_tf=field_tf,
                field_len={name: sum(tf.values()) for name, tf in field_tf.items()},
                body_lines=tuple(_plain_lines(recipe.markdown)),
            )
        )
    n = max(len(indexed), 1)
    avg_len = {name: max(sum(d.field_len[name] for d in indexed) / n, 1.0) for name in _FIELD_WEIGHTS}
    return _Library(
        recipes={r.slug: r for r in recipes}, indexed=tuple(indexed), doc_freq=dict(doc_freq), avg_len=avg_len
    )


def recipes_reload() -> None:
    """Drop the in-process cache (tests that add recipe files; never needed in production)."""
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


def recipe_search(*, query: str, limit: int = 5) -> list[SearchHit]:
    """Recipes ranked by BM25F relevance to `query`; recipes sharing no term with it are left out."""
    library = _library()
    terms = list(dict.fromkeys(_tokens(query)))  # unique, in query order
    if not terms or limit < 1:
        return []
    n = len(library.indexed)
    scored: list[tuple[float, str, _Indexed]] = []
    for doc in library.indexed:
        score = 0.0
        for term in terms:
            # BM25F: combine the length-normalised, weighted frequencies of all fields, then saturate once.
            weighted_tf = 0.0
            for name, weight in _FIELD_WEIGHTS.items():
                tf = doc.field_tf[name].get(term, 0)
                if tf:
                    norm = 1 - _BM25_B + _BM25_B * doc.field_len[name] / library.avg_len[name]
                    weighted_tf += weight * tf / norm
            if weighted_tf:
                df = library.doc_freq.get(term, 0)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                score += idf * weighted_tf / (_BM25_K1 + weighted_tf)
        if score > 0:
            scored.append((round(score, 4), doc.recipe.slug, doc))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        SearchHit(
            slug=doc.recipe.slug,
            title=doc.recipe.title,
            summary=doc.recipe.summary,
            score=score,
            snippet=_snippet(doc, terms),
            url=doc.recipe.url,
        )
        for score, _slug, doc in scored[:limit]
    ]


# --- snippets -----------------------------------------------------------------------------------------

# Links keep their text; emphasis and code markers vanish; table pipes and heading marks become spaces.
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_INLINE = re.compile(r"`+|\*\*?")
_MD_BLOCK = re.compile(r"^\s*(#+|>|\d+\.|[-*+](?= ))\s*|\|")


_BLOCK_START = re.compile(r"^\s*([-*+] |\d+\. |#|\|)")


def _plain_lines(body: str) -> list[str]:
    """Prose units of the body — paragraphs, list items, table rows, headings — as one line each,
    without Markdown punctuation or code blocks, so a snippet is a readable sentence, not half of a
    hard-wrapped line."""
    blocks: list[list[str]] = []
    in_code = False
    for raw in body.splitlines():
        if raw.lstrip().startswith("```"):
            in_code = not in_code
            blocks.append([])
            continue
        # Headings are indexed but make poor snippets: the passage under them says more.
        if in_code or not raw.strip() or raw.lstrip().startswith("#"):
            blocks.append([])
            continue
        if _BLOCK_START.match(raw) or not blocks or not blocks[-1]:
            blocks.append([raw])
        else:
            blocks[-1].append(raw)  # a wrapped continuation line of the same paragraph or item
    out: list[str] = []
    for block in blocks:
        text = " ".join(block)
        text = _MD_BLOCK.sub(" ", _MD_INLINE.sub("", _MD_LINK.sub(r"\1", text)))
        text = re.sub(r"\s+", " ", text).strip(" -")
        if len(text) > 20:
            out.append(text)
    return out


def _snippet(doc: _Indexed, terms: list[str]) -> str:
    """The body passage matching most query terms (first wins on ties), cut around its first hit."""
    best_line, best_hits = "", 0
    for line in doc.body_lines:
        line_terms = set(_tokens(line))
        hits = sum(1 for t in terms if t in line_terms)
        if hits > best_hits:
            best_line, best_hits = line, hits
    if not best_line:
        return doc.recipe.summary
    if len(best_line) <= _SNIPPET_CHARS:
        return best_line
    # Start a little before the first matching word so the snippet shows it in context.
    lowered = best_line.lower()
    first = min((i for t in terms if (i := lowered.find(t)) >= 0), default=0)
    start = max(0, first - 60)
    if start:
        start = best_line.find(" ", start) + 1  # begin on a word boundary
    cut = best_line[start:start + _SNIPPET_CHARS].strip()
    return ("…" if start else "") + cut + ("…" if start + _SNIPPET_CHARS < len(best_line) else "")
