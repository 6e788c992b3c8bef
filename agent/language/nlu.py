"""Reading what a user typed to the Enrich Agent, in English, Spanish, French, German or Portuguese.

Everything here is learned from the labelled files in `training/` (shipped with the code, trained
once per process on first use, in well under a second) rather than from hand-written patterns:

- the language: a character n-gram classifier over the intent examples, labelled by language;
- the intent (`request`, `complaint`, `question`, `yes`, `no`, `status`, `list`, `append`, `close`,
  `balance`, `greeting`): character and word n-gram TF-IDF + logistic regression, applied to the
  whole message and to each of its clauses, so "…, please file a bug" at the end still counts;
- the ticket category (bug / billing / account / other): the same model over `categories.tsv`;
- which words are only the request ("please contact support for me:") and which are detail: the
  vocabulary of the `request_bare` examples plus each language's function words (`stopwords.tsv`),
  with typo tolerance (one edit), so the subject and body keep the user's own words.

The classifiers are deterministic (fixed solver, no random state involved), so answers and tests
are reproducible.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

TRAINING_DIR = Path(__file__).resolve().parent / "training"
LANGUAGES = ("en", "es", "fr", "de", "pt")
ACTIONS = ("status", "list", "append", "close", "balance")
SUBJECT_MAX = 120
MIN_DETAIL_WORDS = 2
REQUEST_CONFIDENCE = 0.6
SKELETON_CONFIDENCE = 0.5
ACTION_CONFIDENCE = 0.45

_SOFTMAX_SCALE = 4.0
_WORD = re.compile(r"[\w$'’=./-]+", re.UNICODE)
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;:¿¡])\s+|\n+|,\s+|\s+[—–-]\s+|:\s*|^\s*[¿¡]")
_SEPARATORS = " \t\n:;,.!?¿¡—–-"


def _rows(name: str) -> list[list[str]]:
    rows = []
    for line in (TRAINING_DIR / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def fold(text: str) -> str:
    """Lower case without accents: "Eröffnen" and "eroffnen" are the same word to the detail counter."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    return [w.strip("'.=/-") for w in _WORD.findall(fold(text)) if w.strip("'.=/-")]


class _Model:
    """TF-IDF over character (word-bounded) and word n-grams, then a linear SVM (one-vs-rest)."""

    def __init__(self, texts: list[str], labels: list[str], *, char_range: tuple[int, int], words: bool,
                 strip_accents: bool) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion, make_pipeline
        from sklearn.svm import LinearSVC

        accents = "unicode" if strip_accents else None
        parts: list[tuple[str, Any]] = [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=char_range, sublinear_tf=True,
                                      strip_accents=accents, lowercase=True)),
        ]
        if words:
            parts.append(("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                                   strip_accents=accents, token_pattern=r"(?u)\b\w+\b")))
        self.pipeline = make_pipeline(FeatureUnion(parts), LinearSVC(C=1.0))
        self.pipeline.fit(texts, labels)
        self.labels: list[str] = [str(c) for c in self.pipeline.classes_]

    def predict(self, text: str) -> tuple[str, float, dict[str, float]]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: list[str]) -> list[tuple[str, float, dict[str, float]]]:
        # A linear SVM trains in a tenth of a second; a softmax over its margins is the confidence.
        out = []
        for margins in self.pipeline.decision_function(texts):
            exp = [math.exp(_SOFTMAX_SCALE * float(m)) for m in margins]
            total = sum(exp)
            scores = {label: e / total for label, e in zip(self.labels, exp, strict=True)}
            best = max(scores, key=lambda label: (scores[label], label))
            out.append((best, scores[best], scores))
        return out


@dataclass(frozen=True)
class _Models:
    intent: _Model
    language: _Model
    category: _Model
    lead_words: frozenset[str]  # words that only ask for a ticket/human
    append_words: frozenset[str]
    stopwords: frozenset[str]


@lru_cache(maxsize=1)
def _models() -> _Models:
    intents = _rows("intents.tsv")
    categories = _rows("categories.tsv")
    stopwords: set[str] = set()
    for _lang, words in _rows("stopwords.tsv"):
        stopwords.update(words_of(words))
        stopwords.update(fold(w) for w in words.split())
    texts = [text for _, _, text in intents]
    lead = {w for intent, _, text in intents if intent == "request_bare" for w in words_of(text)}
    append = {w for intent, _, text in intents if intent == "append" for w in words_of(text.split(":")[0])}
    return _Models(
        intent=_Model(texts, [intent for intent, _, _ in intents], char_range=(2, 5), words=True, strip_accents=True),
        language=_Model(texts, [lang for _, lang, _ in intents], char_range=(1, 4), words=True,
                        strip_accents=False),
        category=_Model([t for _, t in categories], [c for c, _ in categories], char_range=(2, 5), words=True,
                        strip_accents=True),
        lead_words=frozenset(lead - {"bug", "error", "fallo", "erro", "fehler", "probleme", "problem"}) | {"bug"},
        append_words=frozenset(append),
        stopwords=frozenset(stopwords),
    )


def warm_up() -> None:
    """Train the models now (startup), not on the first user's turn."""
    _models()


# --- language -------------------------------------------------------------------------------------

def language_detect(text: str, *, default: str | None = None) -> str:
    """The message's language. Short answers ("ok", "no", "sim") keep `default`, the chat's language,
    when the chat has one: two words are too few to switch languages on."""
    label, confidence, _ = _models().language.predict(text)
    if default in LANGUAGES and len(words_of(text)) < 3:
        return str(default)
    return label if confidence >= 0.3 or default not in LANGUAGES else str(default)


# --- intents --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    intent: str
    confidence: float
    lang: str
    detail: str  # the user's own words without the request / yes / no / "add to my ticket" lead
    explicit_request: bool


def clauses_of(text: str) -> list[str]:
    return [c.strip(_SEPARATORS) for c in _CLAUSE_SPLIT.split(text) if c and c.strip(_SEPARATORS)]


def _one_edit_apart(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance ≤ 1: one letter wrong, missing, extra, or two swapped ("tikcet")."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@lru_cache(maxsize=4096)
def _is_lead_word(word: str, vocabulary: frozenset[str]) -> bool:
    if word in vocabulary:
        return True
    return len(word) >= 4 and any(len(v) >= 4 and _one_edit_apart(word, v) for v in vocabulary)


def detail_words(text: str) -> list[str]:
    """Words that say something about the problem: not the request itself, not function words."""
    m = _models()
    out = []
    for word in words_of(text):
        if word in m.stopwords or _is_lead_word(word, m.lead_words):
            continue
        if len(word) > 1 or word.isdigit():
            out.append(word)
    return out


def strip_request(text: str) -> str:
    """The message without its request lead: clauses that only ask for a ticket go ("please contact
    support for me:", "…, please file a bug"), and so does a leading "I'd like to talk to a human
    about" before the detail in the same clause."""
    m = _models()
    pieces = _split_keep(text)
    readings = m.intent.predict_many([p.strip(_SEPARATORS) or "-" for p in pieces])
    kept: list[tuple[int, str]] = []
    for index, (piece, (label, p, _)) in enumerate(zip(pieces, readings, strict=True)):
        if not piece.strip(_SEPARATORS):
            continue
        if not detail_words(piece) or (label == "request_bare" and p >= 0.6 and len(detail_words(piece)) <= 1):
            continue
        kept.append((index, piece))
    if not kept:
        return ""
    index, first = kept[0]
    if readings[index][0] in ("request", "request_bare"):
        first = _strip_lead_words(first.lstrip(_SEPARATORS))
    return (first + "".join(piece for _, piece in kept[1:])).strip(_SEPARATORS)


def _strip_lead_words(clause: str) -> str:
    m = _models()
    tokens = clause.split()
    cut = 0
    for i, token in enumerate(tokens):
        word = words_of(token)
        if not word or word[0] in m.stopwords:
            continue
        if _is_lead_word(word[0], m.lead_words):
            cut = i + 1
            continue
        break
    if not cut:
        return clause
    # Also drop connectors right after the lead ("… a human about being charged" → "being charged").
    while cut < len(tokens) and words_of(tokens[cut]) and words_of(tokens[cut])[0] in _CONNECTORS:
        cut += 1
    trailing = clause[len(clause.rstrip()):]
    return " ".join(tokens[cut:]) + trailing


_CONNECTORS = frozenset("about regarding re concerning for on with because that sobre acerca de del por porque que "
                        "concernant au sujet pour parce über wegen zu bezüglich weil dass sobre porque".split())


def _split_keep(text: str) -> list[str]:
    """Clauses with their separators kept, so the kept ones join back into the user's own text."""
    pieces, last = [], 0
    for match in _CLAUSE_SPLIT.finditer(text):
        pieces.append(text[last:match.end()])
        last = match.end()
    pieces.append(text[last:])
    return [p for p in pieces if p]


def _after_first_clause(text: str) -> str:
    pieces = _split_keep(text)
    return "".join(pieces[1:]).strip(_SEPARATORS) if len(pieces) > 1 else ""


def _append_detail(text: str) -> str:
    head, sep, tail = re.split(r"([:—–])", text, maxsplit=1)[:3] if re.search(r"[:—–]", text) else [text, "", ""]
    if sep and len(head.split()) <= 8:
        return tail.strip(_SEPARATORS)
    m = _models()
    tokens = text.split()
    cut = 0
    for i, token in enumerate(tokens):
        word = words_of(token)
        if word and (word[0] in m.append_words or word[0] in m.stopwords):
            cut = i + 1
            continue
        break
    rest = " ".join(tokens[cut:]).strip(_SEPARATORS)
    return rest if len(rest.split()) >= 2 else ""


def request_skeleton(text: str) -> str:
    """Only the words that can ask for a ticket (request vocabulary and function words), in order."""
    m = _models()
    return " ".join(w for w in words_of(text) if w in m.stopwords or _is_lead_word(w, m.lead_words))


def intent_read(text: str, *, lang_default: str | None = None) -> Reading:
    """What the user wants, in which language, and the detail they gave."""
    m = _models()
    lang = language_detect(text, default=lang_default)
    clauses = clauses_of(text) or [text]
    units = clauses if len(clauses) > 1 else []
    skeletons = [request_skeleton(c) or "-" for c in clauses]
    predictions = m.intent.predict_many([text, *units, *skeletons])
    whole, confidence, _scores = predictions[0]
    per_clause = predictions[1:1 + len(units)] or [predictions[0]]
    per_skeleton = predictions[1 + len(units):]
    first = per_clause[0]
    # yes / no first ("no, the key still gets 403"), with whatever follows as detail.
    if first[0] in ("yes", "no") and first[1] >= 0.5 and len(clauses) > 1:
        return Reading(first[0], first[1], lang, _after_first_clause(text), False)
    # A clause asks for a ticket when it reads as a request AND the request survives without its
    # detail: "the API returns 500 when I list my tickets" is a complaint even if it reads a little
    # like one; "…, please file a bug" keeps "please file a bug".
    asked = 0.0
    for (label, _p, scores), (skeleton_label, skeleton_p, _) in zip(per_clause, per_skeleton, strict=True):
        p_request = scores.get("request", 0.0) + scores.get("request_bare", 0.0)
        if label in ("request", "request_bare") and p_request >= REQUEST_CONFIDENCE \
                and skeleton_label == "request_bare" and skeleton_p >= SKELETON_CONFIDENCE:
            asked = max(asked, p_request)
    if whole in ACTIONS and confidence >= ACTION_CONFIDENCE and not (asked >= 0.8 and len(clauses) > 1):
        detail = _append_detail(text) if whole == "append" else ""
        return Reading(whole, confidence, lang, detail, False)
    if asked:
        return Reading("request", asked, lang, strip_request(text), True)
    if whole in ("request", "request_bare"):
        whole = "complaint"  # not sure it asks: propose, never charge
    if whole in ("yes", "no") and len(words_of(text)) > 6:
        whole = "complaint"  # a long sentence is not a bare yes/no
    return Reading(whole, confidence, lang, text.strip() if whole == "complaint" else "", False)


# --- ticket fields --------------------------------------------------------------------------------

def category_infer(text: str) -> str:
    """bug | billing | account | other (feature requests and suggestions are other)."""
    label, _, _ = _models().category.predict(text)
    return label


_SUBJECT_END = re.compile(r"[.!?;](?=\s|$)|\n|,\s|\s[—–-]\s|:\s")


def subject_infer(text: str) -> str:
    """A one-line subject from the user's words: the first clause of at least three words, ≤120 chars."""
    text = " ".join(text.split()).strip(_SEPARATORS)
    clause = text
    for match in _SUBJECT_END.finditer(text):
        if len(text[: match.start()].split()) >= 3:
            clause = text[: match.start()]
            break
    clause = clause.strip(_SEPARATORS) or "Support request"
    if len(clause) > SUBJECT_MAX:
        cut = clause[: SUBJECT_MAX - 1]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        clause = cut.rstrip(_SEPARATORS) + "…"
    return clause[0].upper() + clause[1:]


def has_enough_detail(text: str) -> bool:
    return len(detail_words(text)) >= MIN_DETAIL_WORDS
