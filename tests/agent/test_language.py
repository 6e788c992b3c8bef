"""agent.language: category inference on its own labelled set, languages, the request lead, subjects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.language import nlu

CATEGORIES: list[dict[str, str]] = yaml.safe_load((Path(__file__).parent / "categories.yaml").read_text("utf-8"))
TRAINING = Path(nlu.TRAINING_DIR)


def test_category_inference_on_the_labelled_set(capsys: Any) -> None:
    wrong = [(c["text"], c["category"], nlu.category_infer(c["text"])) for c in CATEGORIES
             if nlu.category_infer(c["text"]) != c["category"]]
    accuracy = 1 - len(wrong) / len(CATEGORIES)
    with capsys.disabled():
        print(f"\ncategory: {accuracy:.1%} of {len(CATEGORIES)}", *(f"\n  ✗ {w}" for w in wrong))
    assert len(CATEGORIES) >= 40
    assert {c["category"] for c in CATEGORIES} == {"bug", "billing", "account", "other"}
    assert accuracy >= 0.90
    assert all(expected != "other" or got == "other" for _, expected, got in wrong), "a feature request was filed as a problem"


def test_the_test_sets_are_not_training_data() -> None:
    training = {line.split("\t")[-1].strip().lower() for name in ("intents.tsv", "categories.tsv")
                for line in (TRAINING / name).read_text("utf-8").splitlines() if not line.startswith("#")}
    conversations = yaml.safe_load((Path(__file__).parent / "conversations.yaml").read_text("utf-8"))
    said = {turn["say"].strip().lower() for case in conversations for turn in case["turns"]}
    assert not (said - {"yes", "no", "sim", "não", "no thanks", "yes please"}) & training
    assert not {c["text"].lower() for c in CATEGORIES} & training


@pytest.mark.parametrize("text,lang", [
    ("Quiero abrir un ticket porque me cobraron dos veces", "es"),
    ("Je voudrais parler à un humain de mon remboursement", "fr"),
    ("Ich möchte mit einem Menschen über meine Rechnung sprechen", "de"),
    ("Quero falar com um humano sobre a minha conta", "pt"),
    ("I would like to talk to a human about my invoice", "en"),
])
def test_language_detection(text: str, lang: str) -> None:
    assert nlu.language_detect(text) == lang


def test_short_answers_keep_the_chats_language() -> None:
    assert nlu.language_detect("ok", default="de") == "de"
    assert nlu.intent_read("no", lang_default="es").lang == "es"


@pytest.mark.parametrize("text,detail,subject", [
    ("Please contact support for me: my webhook deliveries stopped after I rotated the secret",
     "my webhook deliveries stopped after I rotated the secret", "My webhook deliveries stopped after I rotated the secret"),
    ("The export of my tickets times out after 30 seconds every time, please file a bug",
     "The export of my tickets times out after 30 seconds every time",
     "The export of my tickets times out after 30 seconds every time"),
    ("I'd like to talk to a human about being charged twice for ticket 12", "being charged twice for ticket 12",
     "Being charged twice for ticket 12"),
    ("escalate this please: the ledger endpoint returns 500 when limit=100",
     "the ledger endpoint returns 500 when limit=100", "The ledger endpoint returns 500 when limit=100"),
])
def test_the_request_lead_is_not_the_subject_nor_the_body(text: str, detail: str, subject: str) -> None:
    reading = nlu.intent_read(text)
    assert (reading.intent, reading.explicit_request, reading.detail) == ("request", True, detail)
    assert nlu.subject_infer(reading.detail) == subject


@pytest.mark.parametrize("text", ["I can't log in", "the API returns 500 when I list my tickets with status=pending",
                                  "my webhooks stopped arriving", "I was charged twice for one ticket",
                                  "no puedo iniciar sesión", "meus webhooks pararam de chegar"])
def test_complaints_are_not_requests(text: str) -> None:
    reading = nlu.intent_read(text)
    assert not reading.explicit_request and reading.intent == "complaint"


def test_a_long_subject_is_cut_at_a_word_boundary_within_120_chars() -> None:
    text = "the " + " ".join(f"word{i}" for i in range(60))
    subject = nlu.subject_infer(text)
    assert len(subject) <= nlu.SUBJECT_MAX and subject.endswith("…")
    assert ("T" + text[1:]).startswith(subject[:-1]) and text[len(subject) - 1] == " "


def test_typos_in_the_request_still_count() -> None:
    reading = nlu.intent_read("pls opne a tikcet, my usage key gets 403 on the ledger endpoint")
    assert (reading.intent, reading.detail) == ("request", "my usage key gets 403 on the ledger endpoint")
