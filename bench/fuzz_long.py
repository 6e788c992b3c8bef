"""The long API fuzz: tests/fuzz with many more examples per operation, then a per-operation summary.

    DATABASE_URL=postgres://… REDIS_URL=redis://… CELERY_TASK_ALWAYS_EAGER=1 \\
        .venv/bin/python bench/fuzz_long.py [--examples 300] [-k "support/tickets"]

Same checks as CI (no 5xx; status codes, headers and bodies as /openapi.json documents), same
fixed seed; only the number of generated examples per operation changes. Exits non-zero on any
failure. Prints, per operation, how many requests were sent and which status codes came back.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class _Summary:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.failed.append(report.nodeid)


def _print_summary(summary: _Summary, seconds: float) -> None:
    from tests.fuzz.test_openapi_fuzz import STATS

    width = max((len(f"{m} {p}") for m, p in STATS), default=20)
    total = 0
    print(f"\n{'operation':<{width}}  requests  status codes")
    for (method, path), counts in sorted(STATS.items(), key=lambda item: (item[0][1], item[0][0])):
        sent = sum(counts.values())
        total += sent
        codes = " ".join(f"{code}×{n}" for code, n in sorted(counts.items()))
        print(f"{method + ' ' + path:<{width}}  {sent:>8}  {codes}")
    server_errors = sum(n for counts in STATS.values() for code, n in counts.items() if code >= 500)
    print(f"\n{len(STATS)} method+path pairs (incl. unsupported-method probes), {total} requests, "
          f"{server_errors} 5xx, {len(summary.failed)} failing operations, {seconds:.0f} s")
    for nodeid in summary.failed:
        print(f"  FAILED {nodeid}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=300, help="generated examples per operation (CI: 12)")
    parser.add_argument("-k", dest="keyword", default="", help="pytest -k expression to pick operations")
    args = parser.parse_args()

    os.environ["FUZZ_MAX_EXAMPLES"] = str(args.examples)
    os.environ.setdefault("TEST_DB_NAME", "test_fuzz_long")
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import pytest

    summary = _Summary()
    pytest_args = ["tests/fuzz", "-q", "-p", "no:cacheprovider", "-o", "timeout=0"]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    started = time.monotonic()
    code = pytest.main(pytest_args, plugins=[summary])
    _print_summary(summary, time.monotonic() - started)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
