"""The labelled conversation set, played through the real turn service with the builtin agent.

Done means (issue #13): ≥ 90 % of turns do the labelled thing, and no turn charges without a request or a yes.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import TokenKind
from accounts.principal import Principal
from accounts.services import agent_create
from bench.agent_eval import load_cases, run_case, summarise

CASES = load_cases()


def test_the_set_covers_five_languages_flows_and_sixty_cases() -> None:
    assert len(CASES) >= 60
    assert {case["id"][:3] for case in CASES} >= {"en-", "es-", "fr-", "de-", "pt-"}
    assert sum(len(case["turns"]) > 1 for case in CASES) >= 20
    assert len({case["id"] for case in CASES}) == len(CASES)


@pytest.mark.django_db(transaction=False)
def test_the_builtin_agent_does_the_labelled_thing(capsys: Any) -> None:
    scores = []
    for case in CASES:
        agent, _ = agent_create(name=f"eval {case['id']}", grant_micros=2_000_000)
        scores.append(run_case(case, principal=Principal(token_id="t", kind=TokenKind.ADMIN, agent=agent)))
    summary = summarise(scores)
    heldout_ids = {case["id"] for case in CASES if case.get("heldout")}
    heldout = summarise([s for s in scores if s.case in heldout_ids])
    with capsys.disabled():
        print(f"\nbuiltin agent: {summary['turn_accuracy']:.1%} of {summary['turns']} turns, "
              f"{summary['case_accuracy']:.1%} of {summary['cases']} conversations; held-out cases: "
              f"{heldout['turn_accuracy']:.1%} of {heldout['turns']} turns")
        for f in summary["failures"]:
            print(f"  ✗ {f['case']}[{f['index']}] {f['say']!r}: expected {f['expected']}, got {f['observed']}")
    assert summary["unasked_charges"] == 0
    assert summary["turn_accuracy"] >= 0.90
