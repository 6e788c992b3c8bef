"""Ticket-creation throughput and latency against a bare authenticated INSERT, in the same run.

    .venv/bin/python -m bench.create_throughput            # ~2 minutes with the defaults

One uvicorn (`support_project.asgi:application --workers 2`, DEBUG=0, RATE_LIMIT_PER_MINUTE=0,
REDIS_URL on a dedicated db index) serves both targets through `bench.baseline.settings`:
`POST /api/v1/support/tickets` (the product) and `POST /bench/baseline` (bearer authentication +
one INSERT). `wrk` drives each at 1, 8 and 32 keep-alive clients after a warm-up. SQL statements
per request are counted in-process with CaptureQueriesContext against the same database.
See bench/README.md for the last results.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bench import harness

TICKET_PATH = "/api/v1/support/tickets"
BASELINE_PATH = "/bench/baseline"
TICKET_BODY = {
    "category": "bug",
    "subject": "CSV export times out after 30 seconds",
    "body": "Exporting the enrichment results as CSV fails with a 504 after about 30 s. "
            "Expected: a download link. Steps: run an enrich job with 10k rows, click Export, wait.",
}
LARGE_BALANCE_MICROS = 10**12  # $1,000,000: enough for 10^8 tickets at $0.01
TARGETS = (("baseline", BASELINE_PATH), ("create", TICKET_PATH))
TARGET_RATIO = 0.5
TARGET_SQL = 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels (default 1,8,32)")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target and level (default 10)")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds before each measurement (default 3)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    p.add_argument("--db", default="bench_support", help="database to create and drop (default bench_support)")
    p.add_argument("--redis-db", type=int, default=13, help="Redis db index to use and flush (default 13)")
    p.add_argument("--conn-max-age", type=int, default=0,
                   help="DB_CONN_MAX_AGE for the server (default 0, as in .env.example)")
    p.add_argument("--rounds", type=int, default=2,
                   help="measurements per target and level, alternating which target goes first; the median "
                        "is reported (default 2)")
    p.add_argument("--agents", type=int, default=1,
                   help="agents (admin bearers) the load rotates through, request by request (default 1: every "
                        "create debits the same balance row, as one busy agent would)")
    p.add_argument("--nodelay", action="store_true",
                   help="serve through support_project/serve.py (TCP_NODELAY; bench/README.md)")
    p.add_argument("--output", default="create_throughput", help="results/<name>.json (default create_throughput)")
    return p.parse_args(argv)


def server_env(*, db_url: str, redis_db: int, conn_max_age: int) -> dict[str, str]:
    """The production-shaped environment for the server and for the in-process setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "X402_PAY_TO": harness.BENCH_PAY_TO,
        "DATABASE_URL": db_url,
        "DB_CONN_MAX_AGE": str(conn_max_age),
        "REDIS_URL": harness.redis_url(redis_db),
        "RATE_LIMIT_PER_MINUTE": "0",
        # One agent drives up to 32 connections: the per-agent in-flight cap (8 per process) would
        # answer 429 to the rest. Both targets run without it, as without the per-minute limit.
        "AGENT_MAX_CONCURRENT_REQUESTS": "0",
        "AGENT_SELF_MINT": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(harness.REPO_DIR),
    })
    return env


def prepare_and_count_sql(env: dict[str, str], *, agents: int = 1) -> tuple[list[str], dict[str, Any]]:
    """In this process: create the agents and the baseline table, then count SQL per request.

    Returns (admin bearers, SQL report). Each route is called a few times and the last call is
    reported, so one-off work (content types, first connection) doesn't count.
    """
    os.environ.update(env)
    import django

    django.setup()
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.services import agent_create
    from bench.baseline.views import TABLE_DDL

    with connection.cursor() as cursor:
        cursor.execute(TABLE_DDL)
    tokens = [agent_create(name=f"bench agent {i}", grant_micros=LARGE_BALANCE_MICROS)[1] for i in range(agents)]
    token = tokens[0]

    client = Client()
    report: dict[str, Any] = {}
    for name, path in (("create", TICKET_PATH), ("baseline", BASELINE_PATH)):
        for _ in range(3):
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(path, data=json.dumps(TICKET_BODY), content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Bearer {token}")
            if response.status_code != 201:
                raise SystemExit(f"{path} answered {response.status_code}: {response.content[:500]!r}")
        statements = [q["sql"] for q in ctx.captured_queries]
        report[name] = {
            "statements": len(statements),
            "transaction_control": sum(1 for s in statements if s.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK",
                                                                                           "SAVEPOINT", "RELEASE"}),
            "sql": [s if len(s) <= 300 else s[:300] + "…" for s in statements],
        }
    connection.close()
    return tokens, report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    harness.require_wrk()
    command = "python -m bench.create_throughput " + " ".join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    tmp = harness.RESULTS_DIR / "tmp-create"

    with harness.fresh_database(args.db) as db_url:
        env = server_env(db_url=db_url, redis_db=args.redis_db, conn_max_age=args.conn_max_age)
        harness.redis_flush(args.redis_db)
        try:
            harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                                what="migrate")
            tokens, sql_report = prepare_and_count_sql(env, agents=args.agents)
            auth = "\n".join(f"Bearer {t}" for t in tokens)
            print(f"SQL statements per request: create {sql_report['create']['statements']}, "
                  f"baseline {sql_report['baseline']['statements']}")

            runs: list[harness.LoadResult] = []
            sent = {"create": 0, "baseline": 0}
            load = {"before": harness.load_average()}
            with harness.uvicorn_server(
                venv_bin=python.parent, app="support_project.asgi:application", cwd=harness.REPO_DIR, env=env,
                workers=args.workers, ready_path="/healthz", log_path=tmp / "server.log", nodelay=args.nodelay,
            ) as server:
                for round_no in range(args.rounds):
                    for clients in levels:
                        order = TARGETS if round_no % 2 == 0 else TARGETS[::-1]
                        for target, path in order:
                            result, warm = harness.warm_and_measure(
                                url=server.url + path, auth=auth, body=TICKET_BODY, clients=clients,
                                warmup=args.warmup, seconds=args.seconds, target=target,
                            )
                            sent[target] += warm + result.requests
                            runs.append(result)
                            print(f"  round {round_no + 1} {target:8} c={clients:<3} {result.rps:8.1f} req/s  "
                                  f"p50 {result.latency_ms['p50']} ms  p95 {result.latency_ms['p95']} ms  "
                                  f"p99 {result.latency_ms['p99']} ms  failed {result.failed}", flush=True)
            load["after"] = harness.load_average()
            rows = {"create": harness.count_rows(db_url, "tickets_ticket"),
                    "baseline": harness.count_rows(db_url, "bench_baseline_row")}
        finally:
            harness.redis_flush(args.redis_db)

    results = [harness.median_result([r for r in runs if (r.target, r.clients) == (t, c)])
               for c in levels for t, _ in TARGETS]
    return report(args=args, command=command, levels=levels, results=results, runs=runs, sql_report=sql_report,
                  rows=rows, sent=sent, load=load)


def report(*, args: argparse.Namespace, command: str, levels: list[int], results: list[harness.LoadResult],
           runs: list[harness.LoadResult], sql_report: dict[str, Any], rows: dict[str, int], sent: dict[str, int],
           load: dict[str, list[float]]) -> int:
    by = {(r.target, r.clients): r for r in results}
    table_rows = []
    ratios: dict[str, float] = {}
    for clients in levels:
        base, create = by[("baseline", clients)], by[("create", clients)]
        ratio = round(create.rps / base.rps, 3) if base.rps else 0.0
        ratios[str(clients)] = ratio
        table_rows.append([
            clients, f"{base.rps:.1f}", f"{base.latency_ms['p50']} / {base.latency_ms['p95']} / {base.latency_ms['p99']}",
            f"{create.rps:.1f}", f"{create.latency_ms['p50']} / {create.latency_ms['p95']} / {create.latency_ms['p99']}",
            f"{ratio:.2f}×", "yes" if ratio >= TARGET_RATIO else "**no**", base.failed + create.failed,
        ])
    print()
    table = harness.print_table(
        ["clients", "baseline req/s", "baseline p50/p95/p99 ms", "create req/s", "create p50/p95/p99 ms",
         "create ÷ baseline", f"≥ {TARGET_RATIO}×", "errors"],
        table_rows,
    )
    sql_ok = sql_report["create"]["statements"] <= TARGET_SQL
    print(f"\nSQL statements per ticket create: {sql_report['create']['statements']} "
          f"({sql_report['create']['transaction_control']} of them BEGIN/COMMIT/SAVEPOINT); target ≤ {TARGET_SQL}: "
          f"{'yes' if sql_ok else 'NO'}. Baseline: {sql_report['baseline']['statements']}.")
    # Rows written vs responses counted: in-flight requests at a wrk stop may still commit, so ≥.
    print(f"Rows written: tickets {rows['create']} (responses {sent['create']} + 3 in-process), "
          f"baseline rows {rows['baseline']} (responses {sent['baseline']} + 3 in-process).")
    path = harness.write_results(args.output, {
        "script": "bench/create_throughput.py",
        "date": harness.now_utc(),
        "command": command.strip(),
        "machine": harness.machine_info(),
        "config": {k: getattr(args, k) for k in ("clients", "seconds", "warmup", "rounds", "agents", "workers", "nodelay", "db",
                                                  "redis_db", "conn_max_age")},
        "load_average": load,
        "targets": {"ratio_min": TARGET_RATIO, "sql_max": TARGET_SQL},
        "ratios": ratios,
        "sql": sql_report,
        "rows_written": rows,
        "responses_counted": sent,
        "results": results,
        "runs": runs,
        "table": table,
    })
    print(f"Load average before/after: {load['before']} / {load['after']} (other work on the machine skews results).")
    print(f"\nraw numbers: {path.relative_to(harness.REPO_DIR)}")
    failed = any(r.failed for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
