"""Score a chat provider on the labelled conversations (tests/agent/conversations.yaml).

    .venv/bin/python bench/agent_eval.py                   # the builtin agent
    .venv/bin/python bench/agent_eval.py --provider openai --base-url http://127.0.0.1:PORT/v1 --model gemma
    .venv/bin/python bench/agent_eval.py --local-model     # starts llama.cpp's server on gemma3-270m itself

For each case a fresh agent (balance $2.00) chats through the real turn service
(`chat_turn`: the same code POST /api/v1/demo/chat runs) against a throwaway PostgreSQL database.
Every turn's observed action is compared with the label: a ticket and its category, no ticket and
the recipe quoted, a question back, or the registry tool called. Prints correct-action % (per turn
and per whole conversation), unasked charges, and turn latency p50/p95 (ticket turns, which run the
billing waterfall, reported apart). Writes bench/results/agent_eval_<provider>.json.

The same functions (`observe`, `judge`, `run_case`) are what tests/agent/test_conversations.py uses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
CONVERSATIONS = REPO_DIR / "tests" / "agent" / "conversations.yaml"

ACTION_TOOLS = ("resolve_support_ticket", "close_support_ticket", "append_support_message", "get_support_ticket",
                "list_support_tickets", "agents_balance")


def load_cases(path: Path = CONVERSATIONS) -> list[dict[str, Any]]:
    import yaml

    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cases


def expected_of(turn: dict[str, Any]) -> tuple[str, str]:
    """A label as (kind, value): ("ticket", "bug"), ("answer", "billing"), ("question", ""), ("tool", name), ("reply", "")."""
    expect = turn["expect"]
    if isinstance(expect, str):
        return expect, ""
    ((kind, value),) = expect.items()
    return str(kind), str(value)


def observe(*, ticket: dict[str, Any] | None, tool_calls: list[dict[str, Any]], text: str,
            fallback: bool = False) -> tuple[str, str]:
    """What a turn did, from its public output only (so any provider can be judged the same way).
    A model turn that failed and was answered by the builtin agent is ("fallback", "") — never the
    model's credit."""
    if fallback:
        return "fallback", ""
    if ticket is not None:
        return "ticket", str(ticket.get("category", ""))
    ok_tools = [c["name"] for c in tool_calls if c.get("error") is None]
    for name in ACTION_TOOLS:
        if name in ok_tools:
            return "tool", name
    reads = [c for c in tool_calls if c["name"] == "cookbook_read" and c.get("error") is None and c.get("result")]
    if reads:
        return "answer", str(reads[0]["result"].get("slug", ""))
    if "?" in text or "？" in text:
        return "question", ""
    return "reply", ""


def judge(expected: tuple[str, str], observed: tuple[str, str]) -> bool:
    if expected[0] == "reply":
        return observed[0] in ("reply", "question")  # a polite question back is fine where nothing was asked
    return expected == observed


@dataclass
class TurnScore:
    case: str
    index: int
    say: str
    expected: tuple[str, str]
    observed: tuple[str, str]
    correct: bool
    unasked_charge: bool
    seconds: float
    reply: str = ""


@dataclass
class CaseScore:
    case: str
    turns: list[TurnScore] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return all(t.correct for t in self.turns)


def run_case(case: dict[str, Any], *, principal: Any, provider: Any = None) -> CaseScore:
    """Play one labelled conversation through the real turn service and score every turn."""
    from agent.chat.service import chat_turn

    score = CaseScore(case=case["id"])
    session_id: str | None = None
    for index, turn in enumerate(case["turns"]):
        started = time.perf_counter()
        result = chat_turn(principal=principal, session_id=session_id, message=turn["say"],
                           base_url="http://testserver", provider=provider)
        seconds = time.perf_counter() - started
        session_id = result.session.id
        assistant = [m for m in result.messages if m.author == "assistant"]
        text = "\n".join(m.text for m in assistant)
        fallback = any("fallback" in m.metadata for m in assistant)
        observed = observe(ticket=result.ticket, tool_calls=[c.as_json() for c in result.tool_calls], text=text,
                           fallback=fallback)
        expected = expected_of(turn)
        score.turns.append(TurnScore(
            case=case["id"], index=index, say=turn["say"], expected=expected, observed=observed,
            correct=judge(expected, observed), unasked_charge=observed[0] == "ticket" and expected[0] != "ticket",
            seconds=seconds, reply=text,
        ))
    return score


def summarise(scores: list[CaseScore]) -> dict[str, Any]:
    turns = [t for s in scores for t in s.turns]
    plain = sorted(t.seconds for t in turns if t.observed[0] != "ticket") or [0.0]
    ticket = sorted(t.seconds for t in turns if t.observed[0] == "ticket") or [0.0]

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    return {
        "cases": len(scores), "turns": len(turns),
        "turn_accuracy": sum(t.correct for t in turns) / max(len(turns), 1),
        "case_accuracy": sum(s.correct for s in scores) / max(len(scores), 1),
        "unasked_charges": sum(t.unasked_charge for t in turns),
        "turn_ms_p50": round(1000 * statistics.median(plain), 1), "turn_ms_p95": round(1000 * pct(plain, 0.95), 1),
        "ticket_turn_ms_p50": round(1000 * statistics.median(ticket), 1),
        "ticket_turn_ms_p95": round(1000 * pct(ticket, 0.95), 1),
        "fallbacks": sum(t.observed[0] == "fallback" for t in turns),
        "failures": [asdict(t) for t in turns if not t.correct],
    }


# --- the command line: a throwaway database, Django, optionally a local model -------------------------

def _local_model_server() -> Iterator[str]:
    """Start llama.cpp's OpenAI-compatible server on gemma3-270m (assembled into the user cache)."""
    from tests.llama_server import llama_server

    with llama_server() as base_url:
        yield base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", default="builtin", choices=("builtin", "openai"))
    parser.add_argument("--base-url", default="")
    parser.add_argument("--model", default="local")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--local-model", action="store_true", help="start llama.cpp's server on gemma3-270m")
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases")
    parser.add_argument("--first-tool", default="auto",
                        help="a tool the model's first round must call (small local models rarely call tools on auto)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_DIR))
    from bench.harness import fresh_database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_project.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench-agent-eval")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
    with fresh_database("bench_agent_eval") as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    import contextlib

    from accounts.models import TokenKind
    from accounts.principal import Principal
    from accounts.services import agent_create
    from agent.chat.providers import provider_get

    cases = load_cases()[: args.limit or None]
    with contextlib.ExitStack() as stack:
        name = args.provider
        if args.local_model:
            args.base_url = stack.enter_context(contextlib.contextmanager(_local_model_server)())
            name = "openai"
        provider: Any = provider_get("builtin")
        if name == "openai":
            from agent.chat.openai_compat import OpenAICompatibleProvider

            provider = OpenAICompatibleProvider(base_url=args.base_url.rstrip("/"), api_key="", model=args.model,
                                                timeout_seconds=args.timeout, max_tool_rounds=2, max_tokens=256,
                                                first_tool_choice=args.first_tool)
        scores = []
        for case in cases:
            agent, _token = agent_create(name=f"eval {case['id']}", grant_micros=2_000_000)
            principal = Principal(token_id="eval", kind=TokenKind.ADMIN, agent=agent)
            scores.append(run_case(case, principal=principal, provider=provider))
            print(f"{case['id']:40s} {'ok' if scores[-1].correct else 'WRONG'}", flush=True)
    summary = summarise(scores)
    label = ("local-model" if args.local_model else args.provider) + (f"-{args.first_tool}" if args.first_tool != "auto" else "")
    out = REPO_DIR / "bench" / "results" / f"agent_eval_{label}.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("\n| provider | cases | turns | correct turns | correct conversations | unasked charges | fallbacks | "
          "turn p50 | turn p95 | ticket turn p50 |\n|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {label} | {summary['cases']} | {summary['turns']} | {summary['turn_accuracy']:.1%} | "
          f"{summary['case_accuracy']:.1%} | {summary['unasked_charges']} | {summary['fallbacks']} | "
          f"{summary['turn_ms_p50']} ms | {summary['turn_ms_p95']} ms | {summary['ticket_turn_ms_p50']} ms |")
    for failure in summary["failures"]:
        print(f"  ✗ {failure['case']}[{failure['index']}] {failure['say']!r}: expected {failure['expected']}, "
              f"got {failure['observed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
