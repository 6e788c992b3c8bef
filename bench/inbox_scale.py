"""The operators' list surfaces at scale: `GET /api/admin/support/tickets` and the `/ui-traffic` inbox.

    .venv/bin/python -m bench.inbox_scale                       # 1k and 100k tickets, ~4 minutes
    .venv/bin/python -m bench.inbox_scale --sizes 1000,100000,1000000

Seeds tickets (each with its support session and two thread messages, spread over 50 agents,
statuses and categories mixed, subjects from a small vocabulary) with set-based INSERT … SELECT
generate_series in PostgreSQL, so the product's search-vector triggers run as in production. Then,
for each size, per surface and case (first page, a status filter, a search `q=`, a deep cursor page
half-way down the list): SQL statements (CaptureQueriesContext) and server time, p50/p95 over
`--repeat` requests after a warm-up. Server time is measured in-process through Django's full
middleware stack (django.test.Client) against the real database, so it excludes the network and
the ASGI server (whose cost bench/create_throughput.py measures). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

from bench import harness

API_PATH = "/api/admin/support/tickets"
INBOX_PATH = "/ui-traffic"
NEEDS_REPLY_CASE = "Needs reply (inbox default)"
AGENTS = 50
SEARCH_TERM = "export"  # in 1 subject in 8 (see SUBJECT_WORDS)
SUBJECT_WORDS = ["export", "billing", "login", "webhook", "timeout", "invoice", "token", "chart"]

SEED_SQL = [
    # One support session per ticket, numbered from offset+1; ids are 32 hex like the product's.
    """
    INSERT INTO demo_sessions_demosession (id, agent_id, session_kind, title, created_at, last_activity_at,
                                           last_message_preview)
    SELECT md5('bench-session-' || i), a.ids[1 + i %% %(agents)s], 'support',
           'Ticket ' || i, now() - make_interval(secs => i * 7), now() - make_interval(secs => i * 5), 'first message'
      FROM generate_series(%(start)s, %(stop)s) AS i,
           (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_agent) AS a
    """,
    # Two thread messages per ticket: the customer's and an operator reply.
    """
    INSERT INTO demo_sessions_message (id, session_id, author, internal, author_name, text, created_at, metadata)
    SELECT 'msg_bench_' || i || '_' || k, md5('bench-session-' || i), CASE k WHEN 1 THEN 'user' ELSE 'operator' END,
           false, CASE k WHEN 1 THEN '' ELSE 'operator' END,
           CASE k WHEN 1 THEN 'The ' || (ARRAY%(words)s)[1 + (i + 3) %% 8] || ' page fails for our team since ' || i
                 ELSE 'Thanks, we are looking into it (ref ' || i || ').' END,
           now() - make_interval(secs => i * 7 - k), '{}'::jsonb
      FROM generate_series(%(start)s, %(stop)s) AS i, generate_series(1, 2) AS k
    """,
    """
    INSERT INTO tickets_ticket (public_id, agent_id, category, subject, body, status, priority, assignee_id,
                                support_session_id, source_session_id, charged_micros, payment_method, bounty_status,
                                bounty_note, bounty_decided_by_id, bounty_decided_at, awaiting_operator, awaiting_since,
                                message_count, created_at, updated_at, last_activity_at)
    SELECT 'tkt_bench' || i, s.agent_id, (ARRAY['bug','billing','account','other'])[1 + i %% 4],
           initcap((ARRAY%(words)s)[1 + i %% 8]) || ' problem number ' || i,
           'Steps: open the ' || (ARRAY%(words)s)[1 + (i / 8) %% 8] || ' screen and wait. Seen ' || i || ' times.',
           (ARRAY['open','pending','resolved','closed'])[1 + (i / 3) %% 4], 'normal', NULL,
           s.id, NULL, 10000, 'virtual_balance', CASE WHEN i %% 4 = 0 THEN 'pending_review' END,
           '', NULL, NULL, (i %% 3 = 0), CASE WHEN i %% 3 = 0 THEN s.last_activity_at END, 2, s.created_at,
           s.last_activity_at, s.last_activity_at
      FROM generate_series(%(start)s, %(stop)s) AS i
      JOIN demo_sessions_demosession s ON s.id = md5('bench-session-' || i)
    """,
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,100000", help="ticket counts, ascending (default 1000,100000)")
    p.add_argument("--repeat", type=int, default=40, help="timed requests per case (default 40)")
    p.add_argument("--batch", type=int, default=50_000, help="tickets seeded per statement batch (default 50000)")
    p.add_argument("--db", default="bench_inbox", help="database to create and drop (default bench_inbox)")
    p.add_argument("--redis-db", type=int, default=11, help="Redis db index to use and flush (default 11)")
    p.add_argument("--output", default="inbox_scale", help="results/<name>.json (default inbox_scale)")
    return p.parse_args(argv)


def seed(cursor: Any, *, start: int, stop: int, batch: int) -> float:
    """Tickets number `start`..`stop` (inclusive), in batches. Returns seconds taken."""
    began = time.perf_counter()
    words = "[" + ",".join(f"'{w}'" for w in SUBJECT_WORDS) + "]"
    for lo in range(start, stop + 1, batch):
        hi = min(stop, lo + batch - 1)
        for statement in SEED_SQL:
            cursor.execute(statement % {"agents": AGENTS, "start": lo, "stop": hi, "words": words})
        print(f"    seeded {hi:,} tickets", flush=True)
    cursor.execute("ANALYZE")
    return time.perf_counter() - began


def deep_cursor(position: int) -> str:
    """The cursor the list would hand out after `position` rows (newest activity first)."""
    from support_project.api.pagination import _encode
    from tickets.models import Ticket

    row = Ticket.objects.order_by("-last_activity_at", "-number").values_list("last_activity_at", "number")[position]
    return _encode(list(row))


def measure(client: Any, path: str, params: dict[str, str], *, repeat: int, headers: dict[str, str]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(path, params, **headers)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} {params} answered {response.status_code}: {response.content[:500]!r}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(path, params, **headers)
    captured = [q["sql"] for q in ctx.captured_queries]  # read now: the next request resets the log
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        client.get(path, params, **headers)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    plans = [explain(sql) for sql in captured if '"tickets_ticket"' in sql]
    rows = len(response.json()["results"]) if path == API_PATH else response.content.count(b'<td class="col-num">')
    return {
        "sql": len(captured),
        "sql_text": [q[:300] for q in captured],
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "rows": rows,
        "db_ms": [p["execution_ms"] for p in plans],
        "plans": plans,
    }


def explain(sql: str) -> dict[str, Any]:
    """EXPLAIN ANALYZE one captured ticket query: its execution time and the plan's node types."""
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    nodes: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {"execution_ms": round(plan["Execution Time"], 2), "nodes": nodes, "sql": sql[:300]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    command = "python -m bench.inbox_scale " + " ".join(sys.argv[1:] if argv is None else argv)
    from bench.create_throughput import server_env

    results: list[dict[str, Any]] = []
    with harness.fresh_database(args.db) as db_url:
        env = server_env(db_url=db_url, redis_db=args.redis_db, conn_max_age=0)
        harness.redis_flush(args.redis_db)
        try:
            harness.run_checked([sys.executable, "manage.py", "migrate", "--noinput"], env=env,
                                cwd=harness.REPO_DIR, what="migrate")
            os.environ.update(env)
            import django

            django.setup()
            from django.contrib.auth import get_user_model
            from django.db import connection
            from django.test import Client

            from accounts.services import agent_create, staff_token_create

            for i in range(AGENTS):
                agent_create(name=f"inbox agent {i}", grant_micros=0)
            staff = get_user_model().objects.create_user("bench-operator", password=None, is_staff=True)
            _, staff_token = staff_token_create(user=staff)
            api, inbox = Client(), Client()
            inbox.force_login(staff)
            bearer = {"HTTP_AUTHORIZATION": f"Bearer {staff_token}"}

            seeded = 0
            for size in sizes:
                print(f"seeding to {size:,} tickets …", flush=True)
                with connection.cursor() as cursor:
                    seconds = seed(cursor, start=seeded + 1, stop=size, batch=args.batch)
                seeded = size
                deep = deep_cursor(size // 2)
                cases = {
                    "first page": {},
                    NEEDS_REPLY_CASE: {},
                    "status=pending": {"status": "pending"},
                    f"q={SEARCH_TERM}": {"q": SEARCH_TERM},
                    f"deep cursor (row {size // 2:,})": {"cursor": deep},
                }
                for surface, path, headers in (("API", API_PATH, bearer), ("inbox", INBOX_PATH, {})):
                    for case, params in cases.items():
                        if surface == "API" and case == NEEDS_REPLY_CASE:
                            continue
                        limits = ("25", "100") if surface == "API" else ("",)
                        for limit in limits:
                            query = {**params, **({"limit": limit} if limit else {})}
                            if surface == "inbox" and case != NEEDS_REPLY_CASE:
                                query["view"] = "all"  # the inbox opens on Needs reply; "All" is the list above
                            m = measure(api if surface == "API" else inbox, path, query, repeat=args.repeat,
                                        headers=headers)
                            row = {"tickets": size, "surface": surface, "case": case, "limit": limit or "25 (page)",
                                   **m, "seed_seconds": round(seconds, 1)}
                            results.append(row)
                            print(f"  {size:>9,} {surface:5} {case:28} limit {row['limit']:9} SQL {m['sql']:2}  "
                                  f"p50 {m['p50_ms']:7.2f} ms  p95 {m['p95_ms']:7.2f} ms  rows {m['rows']}  "
                                  f"ticket SQL ms {m['db_ms']}", flush=True)
            connection.close()
        finally:
            harness.redis_flush(args.redis_db)

    print()
    table = harness.print_table(
        ["tickets", "surface", "case", "limit", "SQL", "p50 ms", "p95 ms", "rows", "ticket queries, DB ms (EXPLAIN ANALYZE)"],
        [[f"{r['tickets']:,}", r["surface"], r["case"], r["limit"], r["sql"], r["p50_ms"], r["p95_ms"], r["rows"],
          " + ".join(f"{ms:g}" for ms in r["db_ms"])] for r in results],
    )
    path = harness.write_results(args.output, {
        "script": "bench/inbox_scale.py",
        "date": harness.now_utc(),
        "command": command.strip(),
        "machine": harness.machine_info(),
        "load_average": harness.load_average(),
        "config": vars(args),
        "results": results,
        "table": table,
    })
    print(f"\nraw numbers: {path.relative_to(harness.REPO_DIR)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
