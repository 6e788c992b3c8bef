"""The offline provider's reading of a message: ticket (category, subject), too vague, or a question."""

from __future__ import annotations

import pytest

from agent.chat.builtin import SUBJECT_MAX, Intent, intent_classify, subject_infer

EXPORT = "file a support ticket — my export times out after 30 seconds, expected a CSV"


@pytest.mark.parametrize("text,category,subject", [
    (EXPORT, "bug", "My export times out after 30 seconds"),
    ("report a bug: the ledger endpoint returns 500 when limit=100", "bug",
     "The ledger endpoint returns 500 when limit=100"),
    ("Bug: export broken for big pages", "bug", "Export broken for big pages"),
    ("I was charged twice", "billing", "I was charged twice"),
    ("Hi, I was double charged for ticket 12 yesterday", "billing", "I was double charged for ticket 12 yesterday"),
    ("can't log in", "account", "Can't log in"),
    ("I cannot log in since my token was rotated. Please help", "account", "I cannot log in since my token was rotated"),
    ("open a ticket about webhook deliveries never arriving at my endpoint", "other",
     "Webhook deliveries never arriving at my endpoint"),
    ("please open a support ticket: the balance shows 0.00 after a refund", "billing",
     "The balance shows 0.00 after a refund"),
    ("file a ticket — my usage key gets 403 on the ledger", "account", "My usage key gets 403 on the ledger"),
])
def test_it_recognises_each_phrasing_and_infers_category_and_subject(text, category, subject):
    assert intent_classify(text) == Intent("ticket", category, subject, text)


@pytest.mark.parametrize("text", ["help", "Help!", "I need help", "file a ticket", "Please file a support ticket",
                                  "open a ticket about billing", "report a bug"])
def test_too_vague_requests_ask_for_detail(text):
    assert intent_classify(text) == Intent("vague")


@pytest.mark.parametrize("text", ["hello", "Hi there!", "thanks"])
def test_small_talk_gets_an_introduction(text):
    assert intent_classify(text) == Intent("small_talk")


@pytest.mark.parametrize("text", ["How do I verify webhook signatures?", "what does 402 mean",
                                  "Which scopes can a usage key have?"])
def test_questions_go_to_the_cookbook(text):
    assert intent_classify(text) == Intent("question")


def test_a_long_subject_is_cut_at_a_word_boundary_within_120_chars():
    text = "report a bug: the " + " ".join(f"word{i}" for i in range(60))
    subject = intent_classify(text).subject
    assert len(subject) <= SUBJECT_MAX and subject.endswith("…")
    kept = subject[:-1]
    remainder = "The " + text[len("report a bug: the "):]
    assert remainder.startswith(kept) and remainder[len(kept)] == " "


def test_the_subject_is_the_first_clause_of_at_least_three_words():
    assert subject_infer("Export fails. It has failed since Monday") == "Export fails. It has failed since Monday"
    assert subject_infer("webhooks stop after a rotation; the old secret still signs") == "Webhooks stop after a rotation"
