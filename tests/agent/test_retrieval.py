"""The one retrieval module (cookbook.retrieval) on its labelled query set, and its quoting rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cookbook.retrieval import recipe_ranking, recipe_search, recipe_sections, section_quote, section_search
from cookbook.selectors import recipe_list

QUERIES: list[dict[str, str]] = yaml.safe_load((Path(__file__).parent / "retrieval.yaml").read_text(encoding="utf-8"))


def _score() -> dict[str, Any]:
    hit1 = hit3 = section1 = section3 = 0
    misses = []
    for item in QUERIES:
        ranked = recipe_ranking(query=item["q"], limit=3)
        slugs = [slug for slug, _, _ in ranked]
        hit1 += slugs[:1] == [item["slug"]]
        hit3 += item["slug"] in slugs
        best = ranked[0][2].section if ranked else None
        section1 += best is not None and (best.slug, best.heading) == (item["slug"], item["section"])
        in_recipe = [h.section.heading for h in section_search(query=item["q"], limit=1000)
                     if h.section.slug == item["slug"]]
        section3 += item["section"] in in_recipe[:3]
        if slugs[:1] != [item["slug"]] or best is None or best.heading != item["section"]:
            misses.append((item["q"], item["slug"], item["section"], slugs, best.heading if best else None))
    n = len(QUERIES)
    return {"hit1": hit1 / n, "hit3": hit3 / n, "section1": section1 / n, "section3": section3 / n, "misses": misses}


def test_the_set_is_big_enough_and_names_real_sections() -> None:
    assert len(QUERIES) >= 80
    sections = {(r.slug, heading) for r in recipe_list() for heading, _ in recipe_sections(r.markdown)}
    assert {(q["slug"], q["section"]) for q in QUERIES} <= sections


def test_hit_at_1_and_hit_at_3(capsys: Any) -> None:
    score = _score()
    with capsys.disabled():
        print(f"\nretrieval: hit@1 {score['hit1']:.1%}, hit@3 {score['hit3']:.1%}, "
              f"section@1 {score['section1']:.1%}, section in the recipe's top 3 {score['section3']:.1%} "
              f"on {len(QUERIES)} queries")
        for miss in score["misses"]:
            print("  ✗", miss)
    assert score["hit1"] >= 0.90
    assert score["hit3"] >= 0.98
    assert score["section1"] >= 0.60  # several sections often answer; the labels name one
    assert score["section3"] >= 0.90


def test_cookbook_search_ranks_the_same_way_and_keeps_its_shape() -> None:
    hits = recipe_search(query="webhook stops", limit=3)
    assert hits[0].slug == "event_callbacks"
    assert [h.slug for h in hits] == [slug for slug, _, _ in recipe_ranking(query="webhook stops", limit=3)]
    assert set(vars(hits[0])) == {"slug", "title", "summary", "score", "snippet", "url"}
    assert recipe_search(query="zzzz qqqq", limit=3) == []


@pytest.mark.parametrize("query", ["How do I verify webhook signatures?", "python receiver example for callbacks",
                                   "pay for a ticket with x402 PAYMENT-SIGNATURE", "how do I open a ticket with the API"])
def test_quotes_keep_whole_code_blocks_and_never_end_on_an_introduction(query: str) -> None:
    section = section_search(query=query, limit=1)[0].section
    quote = section_quote(section)
    assert quote.count("```") % 2 == 0
    assert not quote.rstrip().endswith(":")


def test_an_unclosed_quote_never_happens_even_for_the_longest_section() -> None:
    for recipe in recipe_list():
        for hit in section_search(query=recipe.title, limit=50):
            assert section_quote(hit.section).count("```") % 2 == 0
