"""Where a ticket create's time goes under load: py-spy samples both uvicorn workers while `wrk`
drives `POST /api/v1/support/tickets` (or the baseline), then the samples are grouped by phase.

    .venv/bin/python -m bench.profile_create                      # ~1 minute
    .venv/bin/python -m bench.profile_create --path /bench/baseline

Same server and setup as bench/create_throughput.py. py-spy (PyPI) is installed into its own
virtualenv, bench/.profile-venv. Each sample is one stack of a worker's thread that was running
(idle threads are not sampled); a sample is put in the first phase of PHASES whose rule matches
one of its frames, and split into "in psycopg/libpq" (waiting on or talking to PostgreSQL) vs
the rest (Python on the CPU). Raw collapsed stacks are written to bench/results/tmp-profile/.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench import harness
from bench.create_throughput import TICKET_BODY, TICKET_PATH, prepare_and_count_sql, server_env

PROFILE_VENV = harness.BENCH_DIR / ".profile-venv"
PY_SPY_VERSION = "0.4.3"
# (phase, substrings of a frame "function (file:line)"); the first rule (in this order) matching any
# frame of a sample's stack gets the sample, so specific phases come before the generic ones.
PHASES: list[tuple[str, tuple[str, ...]]] = [
    ("open PostgreSQL connection (per request, CONN_MAX_AGE=0)", ("ensure_connection", "get_new_connection")),
    ("close connection at request end", ("close_old_connections", "close_if_unusable_or_obsolete")),
    ("authentication (token → principal)", ("principal_for_token",)),
    ("throttle", ("allow_request (support_project/api/throttling",)),
    ("body validation (StrictSerializer)", ("validate_body",)),
    ("Idempotency-Key fingerprint", ("fingerprint (billing/idempotency",)),
    ("Celery publish after commit (outbox dispatch)", ("apply_async", "send_task", "on_commit", "run_on_commit")),
    ("ticket_open: debit + ledger + session + ticket + message + event", ("run_paid", "ticket_open")),
    ("baseline INSERT", ("post (bench/baseline/views",)),
    ("response rendering", ("render (rest_framework/renderers", "finalize_response")),
    ("DRF dispatch / permissions / parsing", ("dispatch (rest_framework/views",)),
    ("Django middleware and handler", ("django/core/handlers",)),
    ("uvicorn / asyncio / asgiref", ("uvicorn", "asyncio", "asgiref")),
]
DB_MARKERS = ("psycopg", "libpq")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--path", default=TICKET_PATH, help=f"endpoint to load (default {TICKET_PATH})")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    p.add_argument("--seconds", type=int, default=20, help="sampled seconds (default 20)")
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second (default 200)")
    p.add_argument("--gil", action="store_true",
                   help="sample only threads holding the GIL (py-spy --gil): Python CPU, no waits")
    p.add_argument("--agents", type=int, default=1, help="agents the load rotates through (default 1)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--nodelay", action="store_true", help="serve through support_project/serve.py (the production launcher)")
    p.add_argument("--conn-max-age", type=int, default=0)
    p.add_argument("--redis-db", type=int, default=13)
    p.add_argument("--db", default="bench_profile")
    p.add_argument("--output", default="profile_create", help="results/<name>.json (default profile_create)")
    return p.parse_args(argv)


def ensure_py_spy() -> Path:
    exe = PROFILE_VENV / "bin" / "py-spy"
    if not exe.exists():
        base_python = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base_python, "-m", "venv", str(PROFILE_VENV)], check=True)
        subprocess.run([str(PROFILE_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        f"py-spy=={PY_SPY_VERSION}"], check=True)
    return exe


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes: children of the supervisor that run the app (not the resource tracker)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"resource_tracker" not in cmdline:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def classify(stacks: Counter[str]) -> list[tuple[str, int, int]]:
    """(phase, samples, samples inside psycopg/libpq), largest first."""
    totals: Counter[str] = Counter()
    in_db: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        phase = next((name for name, needles in PHASES if any(n in frame for frame in frames for n in needles)), "other")
        totals[phase] += count
        if any(m in frame for frame in frames for m in DB_MARKERS):
            in_db[phase] += count
    return [(phase, n, in_db[phase]) for phase, n in totals.most_common()]


PROJECT_FRAME = re.compile(r"\((accounts|billing|tickets|demo_sessions|webhooks|support_project|bench)/")


def db_time_by_caller(stacks: Counter[str], n: int = 12) -> list[tuple[str, int]]:
    """Samples inside psycopg/libpq, by the innermost project frame that issued the query."""
    callers: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        if not any(m in frame for frame in frames for m in DB_MARKERS):
            continue
        ours = [frame for frame in frames if PROJECT_FRAME.search(frame)]
        callers[ours[-1] if ours else "(Django, no project frame)"] += count
    return callers.most_common(n)


def _top_leaves(stacks: Counter[str], n: int = 25) -> list[tuple[str, int]]:
    leaves: Counter[str] = Counter()
    for stack, count in stacks.items():
        leaves[stack.split(";")[-1]] += count
    return leaves.most_common(n)


def read_collapsed(path: Path) -> Counter[str]:
    stacks: Counter[str] = Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[stack] += int(count)
    return stacks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    harness.require_wrk()
    py_spy = ensure_py_spy()
    python = Path(sys.executable)
    tmp = harness.RESULTS_DIR / "tmp-profile"
    tmp.mkdir(parents=True, exist_ok=True)
    for old in tmp.glob("worker-*.txt"):
        old.unlink()

    with harness.fresh_database(args.db) as db_url:
        env = server_env(db_url=db_url, redis_db=args.redis_db, conn_max_age=args.conn_max_age)
        harness.redis_flush(args.redis_db)
        try:
            harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                                what="migrate")
            tokens, _ = prepare_and_count_sql(env, agents=args.agents)
            with harness.uvicorn_server(
                venv_bin=python.parent, app="support_project.asgi:application", cwd=harness.REPO_DIR, env=env,
                workers=args.workers, ready_path="/healthz", log_path=tmp / "server.log", nodelay=args.nodelay,
            ) as server:
                url, auth = server.url + args.path, "\n".join(f"Bearer {t}" for t in tokens)
                harness.run_wrk(url=url, auth=auth, body=TICKET_BODY, clients=args.clients, seconds=3, target="warm-up")
                pids = worker_pids(server.process.pid)
                outputs = [tmp / f"worker-{pid}.txt" for pid in pids]
                spies = [subprocess.Popen([str(py_spy), "record", "--pid", str(pid), "--rate", str(args.rate),
                                           "--duration", str(args.seconds), "--nonblocking", "--format", "raw",
                                           *(["--gil"] if args.gil else []),
                                           "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for pid, out in zip(pids, outputs, strict=True)]
                try:
                    result = harness.run_wrk(url=url, auth=auth, body=TICKET_BODY, clients=args.clients,
                                             seconds=args.seconds, target=args.path)
                finally:
                    for spy in spies:
                        spy.wait(timeout=args.seconds + 60)
        finally:
            harness.redis_flush(args.redis_db)

    stacks: Counter[str] = Counter()
    for out in outputs:
        stacks.update(read_collapsed(out))
    total = sum(stacks.values()) or 1
    print(f"{args.path} at {args.clients} clients: {result.rps} req/s, p50 {result.latency_ms['p50']} ms; "
          f"{total} samples over {len(outputs)} workers at {args.rate} Hz\n")
    per_request_ms = 1000 / args.rate / max(result.requests, 1)
    rows = [[phase, n, f"{100 * n / total:.1f}%", f"{100 * db / total:.1f}%", f"{n * per_request_ms:.2f}"]
            for phase, n, db in classify(stacks)]
    table = harness.print_table(["phase", "samples", "share", "of which in psycopg", "ms per request"], rows)
    print("\nSamples inside psycopg/libpq, by the project frame that issued the query:\n")
    db_rows = [[caller, n, f"{n * per_request_ms:.2f}"] for caller, n in db_time_by_caller(stacks)]
    db_table = harness.print_table(["issued by", "samples", "ms per request"], db_rows)
    print(f"\ncollapsed stacks: {', '.join(str(o.relative_to(harness.REPO_DIR)) for o in outputs)}")
    path = harness.write_results(args.output, {
        "script": "bench/profile_create.py",
        "date": harness.now_utc(),
        "command": "python -m bench.profile_create " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": harness.machine_info(),
        "load_average": harness.load_average(),
        "config": vars(args),
        "load": result,
        "samples": total,
        "phases": [{"phase": phase, "samples": n, "in_psycopg": db} for phase, n, db in classify(stacks)],
        "db_time_by_caller": db_time_by_caller(stacks),
        "top_leaf_frames": _top_leaves(stacks),
        "table": table,
        "db_table": db_table,
    })
    print(f"raw numbers: {path.relative_to(harness.REPO_DIR)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
