"""The one retrieval module: `/cookbook/search`, the chat's answers and post-open triage all rank here.

- The unit is a **section** (a recipe's `##` part). Two BM25 indexes from `bm25s` (a maintained
  library) over Snowball-stemmed tokens (`PyStemmer`): one ranks recipes — each section carries
  its recipe's title and keywords (title and keyword boosts), a recipe scores its best section —
  and one chooses the section of that recipe to quote, by the section's own heading and text.
- Queries in Spanish, French, German or Portuguese meet the English recipes through
  `glossary.tsv` (folded, stemmed per language); a typo one edit away from a word of the recipes
  ("webhok", "verfy") is read as that word.
- Quotes keep whole units (paragraphs, list items, table rows, whole code blocks).

Everything is built once per process (recipes ship with the code) and is deterministic: ties go
to the recipe slug, then to the section order.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .selectors import SearchHit

GLOSSARY = Path(__file__).resolve().parent / "glossary.tsv"
RANK_HEADING_REPEAT = 3
CHOOSE_HEADING_REPEAT = 8
TITLE_REPEAT = 2
QUOTE_CHARS = 900

_TOKEN = re.compile(r"[a-z0-9]+")
_LANG_STEMMERS = {"en": "english", "es": "spanish", "fr": "french", "de": "german", "pt": "portuguese"}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmers() -> dict[str, Any]:
    import Stemmer

    return {lang: Stemmer.Stemmer(name) for lang, name in _LANG_STEMMERS.items()}


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s import stopwords as sw

    words: set[str] = set()
    for name in ("STOPWORDS_EN_PLUS", "STOPWORDS_SPANISH", "STOPWORDS_FRENCH", "STOPWORDS_GERMAN", "STOPWORDS_PORTUGUESE"):
        words.update(_fold(w) for w in getattr(sw, name))
    words -= {"out", "down", "off", "not", "no", "twice", "again"}  # "runs out", "log in/off", "charged twice" mean something
    # Words every recipe uses, or that only say "I have a question".
    words.update("please thanks hi hello happens happen work works get use using want need know tell what when "
                 "where which who why how i my me".split())
    return frozenset(words)


def _raw_tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(_fold(text).replace("_", " ")) if t not in _stopwords()]


def english_terms(text: str) -> list[str]:
    """Index-side tokens: folded, stop words out, English Snowball stems."""
    return list(_stemmers()["en"].stemWords(_raw_tokens(text)))


# --- the index -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: str
    heading: str  # "" for the text before the first "##"
    anchor: str
    lines: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"/cookbook/{self.slug}" + (f"#{self.anchor}" if self.anchor else "")


@dataclass(frozen=True)
class SectionHit:
    section: Section
    score: float


def recipe_sections(markdown: str) -> list[tuple[str, tuple[str, ...]]]:
    """Split a recipe at its `##` headings (a `#` inside a code block is not a heading)."""
    sections: list[tuple[str, tuple[str, ...]]] = []
    lines: list[str] = []
    heading, in_code = "", False
    for raw in markdown.splitlines():
        if raw.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and raw.startswith("## "):
            sections.append((heading, tuple(lines)))
            heading, lines = raw[3:].strip(), []
        elif not in_code and raw.startswith("# "):
            continue  # the recipe title
        else:
            lines.append(raw)
    sections.append((heading, tuple(lines)))
    return [(h, ls) for h, ls in sections if any(line.strip() for line in ls)]


def _anchor(heading: str) -> str:
    # The same ids Python-Markdown's `toc` extension gives headings on /cookbook/<slug>.
    from markdown.extensions.toc import slugify

    return slugify(heading, "-") if heading else ""


@dataclass(frozen=True)
class _Index:
    sections: tuple[Section, ...]
    ranker: Any  # BM25 over sections with their recipe's title and keywords: which recipe answers
    chooser: Any  # BM25 over sections alone, heading repeated: which part of that recipe answers
    vocabulary: frozenset[str]
    deletes: dict[str, tuple[str, ...]]  # every term with one letter deleted → the terms (typo lookup)
    glossary: dict[str, tuple[str, ...]]  # folded+stemmed foreign word → English stems


def _bm25(corpus: list[list[str]], *, b: float) -> Any:
    import bm25s

    retriever = bm25s.BM25(k1=1.2, b=b)
    retriever.index(corpus, show_progress=False)
    return retriever


@lru_cache(maxsize=1)
def _index() -> _Index:
    from .selectors import recipe_list

    sections: list[Section] = []
    ranked: list[list[str]] = []
    chosen: list[list[str]] = []
    for recipe in sorted(recipe_list(), key=lambda r: r.slug):
        boost = english_terms(f"{recipe.title} {recipe.slug}") * TITLE_REPEAT + english_terms(" ".join(recipe.keywords))
        for heading, lines in recipe_sections(recipe.markdown):
            sections.append(Section(slug=recipe.slug, title=recipe.title, summary=recipe.summary, heading=heading,
                                    anchor=_anchor(heading), lines=lines))
            body = english_terms("\n".join(lines))
            head = english_terms(heading)
            intro = english_terms(recipe.summary) if not heading else []
            ranked.append(boost + head * RANK_HEADING_REPEAT + intro + body)
            chosen.append(head * CHOOSE_HEADING_REPEAT + body)
    vocabulary = frozenset(t for doc in ranked for t in doc)
    deletes: dict[str, set[str]] = defaultdict(set)
    for term in vocabulary:
        if len(term) >= 4:
            for i in range(len(term)):
                deletes[term[:i] + term[i + 1:]].add(term)
            deletes[term].add(term)
    return _Index(sections=tuple(sections), ranker=_bm25(ranked, b=0.75), chooser=_bm25(chosen, b=0.3),
                  vocabulary=vocabulary, deletes={k: tuple(sorted(v)) for k, v in deletes.items()},
                  glossary=_glossary())


def _glossary() -> dict[str, tuple[str, ...]]:
    stemmers = _stemmers()
    out: dict[str, set[str]] = defaultdict(set)
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, _, foreign = line.partition("\t")
        targets = english_terms(english)
        for word in _raw_tokens(foreign):
            for lang in ("es", "fr", "de", "pt"):
                out[stemmers[lang].stemWord(word)].update(targets)
            out[word].update(targets)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def index_reload() -> None:
    """Drop the recipes and the index built from them (tests that add recipe files)."""
    from .selectors import recipes_reload

    recipes_reload()
    _index.cache_clear()
    _ranked.cache_clear()
    _query_term.cache_clear()


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@lru_cache(maxsize=8192)
def _query_term(word: str) -> tuple[str, ...]:
    """A query word as index terms: its English stem, its glossary meaning, or the index word one typo away."""
    index = _index()
    stemmers = _stemmers()
    english = stemmers["en"].stemWord(word)
    if english in index.vocabulary:
        return (english,)
    for candidate in (word, *(stemmers[lang].stemWord(word) for lang in ("es", "fr", "de", "pt"))):
        if candidate in index.glossary:
            return index.glossary[candidate]
    if len(english) >= 5:  # a typo: the index term one edit away (symmetric-delete lookup)
        keys = [english, *(english[:i] + english[i + 1:] for i in range(len(english)))]
        near = sorted({v for k in keys for v in index.deletes.get(k, ()) if _one_edit_apart(english, v)})
        if near:
            return (near[0],)
    return (english,)


def query_terms(query: str) -> list[str]:
    terms: list[str] = []
    for word in _raw_tokens(query):
        for term in _query_term(word):
            if term not in terms:
                terms.append(term)
    return terms


def _scored(retriever: Any, terms: list[str]) -> list[float]:
    return [float(x) for x in retriever.get_scores(terms)] if terms else []


def section_search(*, query: str, limit: int = 5) -> list[SectionHit]:
    """Sections ranked for the query: the best recipes first (title and keyword boosts), and within
    a recipe its sections by their own text (heading first). Sections sharing no term are left out."""
    return [hit for _, hits in _ranked(query) for hit in hits][:limit] if limit > 0 else []


@lru_cache(maxsize=512)  # the index never changes in a process; the chat ranks a query twice per answer
def _ranked(query: str) -> tuple[tuple[float, tuple[SectionHit, ...]], ...]:
    index = _index()
    terms = [t for t in query_terms(query) if t in index.vocabulary]
    rank, choose = _scored(index.ranker, terms), _scored(index.chooser, terms)
    by_recipe: dict[str, list[int]] = defaultdict(list)
    for position, score in enumerate(rank):
        if score > 0:
            by_recipe[index.sections[position].slug].append(position)
    out: list[tuple[float, str, tuple[SectionHit, ...]]] = []
    for slug, positions in by_recipe.items():
        recipe_score = max(rank[p] for p in positions)
        order = sorted(positions, key=lambda p: (-round(choose[p], 6), -round(rank[p], 6), p))
        out.append((round(recipe_score, 4), slug,
                    tuple(SectionHit(index.sections[p], round(choose[p] or rank[p], 4)) for p in order)))
    out.sort(key=lambda item: (-item[0], item[1]))
    return tuple((score, hits) for score, _slug, hits in out)


def recipe_ranking(*, query: str, limit: int = 5) -> list[tuple[str, float, SectionHit]]:
    """Recipes ranked by their best section (with the recipe's title and keywords): (slug, score, best section)."""
    return [(hits[0].section.slug, score, hits[0]) for score, hits in _ranked(query)[:limit]]


# --- quoting ---------------------------------------------------------------------------------------

_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_ITEM = re.compile(r"\s*([-*+]|\d+\.)\s")


def _plain(line: str) -> str:
    line = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", line)
    return line.replace("**", "").rstrip()


def quote_units(lines: tuple[str, ...]) -> list[str]:
    """A section as quotable units: paragraphs, list items, table rows ("a — b") and whole code
    blocks (kept fenced, so a rendered answer shows them as code). "" marks a paragraph break."""
    units: list[str] = []
    code: list[str] | None = None
    fence = "```"
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
                if table:
                    flush_table()
                code, fence = [], stripped
            else:
                units.append("\n".join([fence, *code, "```"]))
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
        elif _ITEM.match(raw) or not units or units[-1] == "" or units[-1].startswith("```"):
            units.append(_plain(stripped))
        else:
            units[-1] = f"{units[-1]} {_plain(stripped)}"  # a hard-wrapped line of the same paragraph or item
    if table:
        flush_table()
    if code is not None:  # an unclosed fence: keep it whole anyway
        units.append("\n".join([fence, *code, "```"]))
    return units


def section_quote(section: Section, *, max_chars: int = QUOTE_CHARS) -> str:
    """The section as text, cut only between units: a step list or a code block is never half-quoted.
    A unit that introduces what follows ("…:") is kept with the unit after it."""
    units = quote_units(section.lines)
    kept: list[str] = []
    used = 0
    for _i, unit in enumerate(units):
        if used + len(unit) > max_chars and any(kept):
            break
        kept.append(unit)
        used += len(unit) + 1
    while kept and (kept[-1] == "" or kept[-1].rstrip().endswith(":")) and len(kept) < len(units):
        kept.pop()  # never end on "2. API:" with nothing after it
    return "\n".join(kept).strip()


def snippet_of(section: Section, terms: list[str], *, chars: int = 220) -> str:
    """The prose unit of a section that shares most terms with the query (for search results)."""
    best, best_hits = "", 0
    for unit in quote_units(section.lines):
        if not unit or unit.startswith("```"):
            continue
        text = re.sub(r"[`*#>|]", "", unit)
        hits = len(set(terms) & set(english_terms(text)))
        if hits > best_hits:
            best, best_hits = " ".join(text.split()), hits
    if not best:
        return section.summary
    return best if len(best) <= chars else best[: chars - 1].rsplit(" ", 1)[0] + "…"


def recipe_search(*, query: str, limit: int = 5) -> list[SearchHit]:
    """Recipes ranked by their best section (the JSON shape of /cookbook/search and the
    cookbook_search tool); recipes sharing no term with the query are left out."""
    from .selectors import recipe_read

    if limit < 1:
        return []
    terms = query_terms(query)
    hits = []
    for slug, score, best in recipe_ranking(query=query, limit=limit):
        recipe = recipe_read(slug=slug)
        hits.append(SearchHit(slug=slug, title=recipe.title, summary=recipe.summary, score=score,
                              snippet=snippet_of(best.section, terms), url=recipe.url))
    return hits
