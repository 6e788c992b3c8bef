"""Ticket creation here vs django-helpdesk's REST API, same machine, same server setup, same client.

    .venv/bin/python -m bench.helpdesk_compare           # ~3 minutes (+1-2 the first time: the venv)

django-helpdesk (PyPI, 2.6.1) is installed into its own virtualenv, bench/.helpdesk-venv (pinned to
the same Django, DRF, uvicorn and psycopg versions as ours), and served from the small project in
bench/helpdesk_project/ (DRF TokenAuthentication; `POST /helpdesk/api/tickets/`, helpdesk's
`TicketViewSet`, which saves through its `TicketForm`: ticket, "Ticket Opened" follow-up, rendered
notification e-mails). Both apps get their own fresh PostgreSQL database on the same server and the
same `uvicorn … --workers 2` command; both servers run for the whole script and the measurements
alternate between them, so background load on the machine hits both alike. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import harness
from bench.create_throughput import TICKET_BODY, TICKET_PATH, prepare_and_count_sql, server_env

HELPDESK_VERSION = "2.6.1"
HELPDESK_DIR = harness.BENCH_DIR / "helpdesk_project"
HELPDESK_VENV = harness.BENCH_DIR / ".helpdesk-venv"
HELPDESK_PATH = "/helpdesk/api/tickets/"
TARGET_RATIO = 3.0
# Pinned to whatever the product runs, so the comparison is the application, not the stack.
SHARED_PACKAGES = ("Django", "djangorestframework", "uvicorn", "psycopg", "psycopg-binary", "h11")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels (default 1,8,32)")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target and level (default 10)")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds before each measurement (default 3)")
    p.add_argument("--rounds", type=int, default=2, help="measurements per target and level, median reported (default 2)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers for each app (default 2)")
    p.add_argument("--nodelay", action="store_true", help="serve both through support_project/serve.py (TCP_NODELAY)")
    p.add_argument("--conn-max-age", type=int, default=0, help="CONN_MAX_AGE for both apps (default 0)")
    p.add_argument("--redis-db", type=int, default=13, help="Redis db index for ours, flushed (default 13)")
    p.add_argument("--helpdesk-redis-db", type=int, default=12, help="Redis db index for helpdesk's cache (default 12)")
    p.add_argument("--reinstall", action="store_true", help="recreate bench/.helpdesk-venv")
    p.add_argument("--output", default="helpdesk_compare", help="results/<name>.json (default helpdesk_compare)")
    return p.parse_args(argv)


def ensure_helpdesk_venv(*, reinstall: bool) -> Path:
    """bench/.helpdesk-venv with django-helpdesk and our versions of the shared stack. Returns its bin/."""
    bin_dir = HELPDESK_VENV / "bin"
    pins = [f"django-helpdesk=={HELPDESK_VERSION}"]
    for name in SHARED_PACKAGES:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    stamp = HELPDESK_VENV / "bench-pins.txt"
    if not reinstall and stamp.exists() and stamp.read_text().split() == pins:
        return bin_dir
    if reinstall or not (bin_dir / "python").exists():
        print(f"creating {HELPDESK_VENV.relative_to(harness.REPO_DIR)} …", flush=True)
        base_python = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base_python, "-m", "venv", "--clear", str(HELPDESK_VENV)], check=True)
    print("installing " + " ".join(pins), flush=True)
    proc = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"pip install failed (see bench/README.md, 'If it cannot run'):\n{proc.stdout}\n{proc.stderr}")
    stamp.write_text("\n".join(pins) + "\n")
    return bin_dir


def helpdesk_env(*, db_name: str, redis_db: int, conn_max_age: int) -> dict[str, str]:
    base, _, _ = harness.PG_ADMIN_URL.rpartition("/")
    host_port = base.rsplit("@", 1)[-1]
    host, _, port = host_port.partition(":")
    return {
        "PATH": str(HELPDESK_VENV / "bin") + ":/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "hdproject.settings",
        "HD_SECRET_KEY": "bench-only-helpdesk-secret-key-0123456789abcdef",
        "HD_DATABASE_NAME": db_name,
        "HD_DATABASE_HOST": host or "127.0.0.1",
        "HD_DATABASE_PORT": port or "5432",
        "HD_CONN_MAX_AGE": str(conn_max_age),
        "HD_REDIS_URL": harness.redis_url(redis_db),
    }


def prepare_helpdesk(bin_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    py = str(bin_dir / "python")
    harness.run_checked([py, "manage.py", "migrate", "--noinput"], env=env, cwd=HELPDESK_DIR, what="helpdesk migrate")
    out = harness.run_checked(
        [py, "manage.py", "bench_prepare", "--subject", TICKET_BODY["subject"], "--body", TICKET_BODY["body"]],
        env=env, cwd=HELPDESK_DIR, what="helpdesk bench_prepare",
    )
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    harness.require_wrk()
    command = "python -m bench.helpdesk_compare " + " ".join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    hd_bin = ensure_helpdesk_venv(reinstall=args.reinstall)
    tmp = harness.RESULTS_DIR / "tmp-helpdesk"

    with harness.fresh_database("bench_support") as ours_url, harness.fresh_database("bench_helpdesk"):
        env = server_env(db_url=ours_url, redis_db=args.redis_db, conn_max_age=args.conn_max_age)
        hd_env = helpdesk_env(db_name="bench_helpdesk", redis_db=args.helpdesk_redis_db, conn_max_age=args.conn_max_age)
        for db in (args.redis_db, args.helpdesk_redis_db):
            harness.redis_flush(db)
        try:
            harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                                what="migrate")
            tokens, ours_sql = prepare_and_count_sql(env)
            hd = prepare_helpdesk(hd_bin, hd_env)
            print(f"SQL statements per ticket create: ours {ours_sql['create']['statements']}, "
                  f"django-helpdesk {hd['sql']['statements']}", flush=True)
            targets = {
                "ours": (TICKET_PATH, f"Bearer {tokens[0]}", TICKET_BODY),
                "helpdesk": (HELPDESK_PATH, f"Token {hd['token']}", hd["body"]),
            }
            runs: list[harness.LoadResult] = []
            load = {"before": harness.load_average()}
            with harness.uvicorn_server(
                venv_bin=python.parent, app="support_project.asgi:application", cwd=harness.REPO_DIR, env=env,
                workers=args.workers, ready_path="/healthz", log_path=tmp / "ours.log", nodelay=args.nodelay,
            ) as ours, harness.uvicorn_server(
                venv_bin=hd_bin, app="hdproject.asgi:application", cwd=HELPDESK_DIR, env=hd_env,
                workers=args.workers, ready_path=HELPDESK_PATH, log_path=tmp / "helpdesk.log", nodelay=args.nodelay,
                lifespan="auto",
            ) as theirs:
                servers = {"ours": ours, "helpdesk": theirs}
                for round_no in range(args.rounds):
                    for clients in levels:
                        order = ["ours", "helpdesk"] if round_no % 2 == 0 else ["helpdesk", "ours"]
                        for name in order:
                            path, auth, body = targets[name]
                            result, _ = harness.warm_and_measure(
                                url=servers[name].url + path, auth=auth, body=body, clients=clients,
                                warmup=args.warmup, seconds=args.seconds, target=name,
                            )
                            runs.append(result)
                            print(f"  round {round_no + 1} {name:8} c={clients:<3} {result.rps:8.1f} req/s  "
                                  f"p50 {result.latency_ms['p50']} ms  p95 {result.latency_ms['p95']} ms  "
                                  f"p99 {result.latency_ms['p99']} ms  failed {result.failed}", flush=True)
            load["after"] = harness.load_average()
        finally:
            for db in (args.redis_db, args.helpdesk_redis_db):
                harness.redis_flush(db)

    results = [harness.median_result([r for r in runs if (r.target, r.clients) == (t, c)])
               for c in levels for t in ("ours", "helpdesk")]
    return report(args=args, command=command, levels=levels, results=results, runs=runs,
                  sql={"ours": ours_sql["create"], "helpdesk": hd["sql"]}, load=load)


def report(*, args: argparse.Namespace, command: str, levels: list[int], results: list[harness.LoadResult],
           runs: list[harness.LoadResult], sql: dict[str, Any], load: dict[str, list[float]]) -> int:
    by = {(r.target, r.clients): r for r in results}
    rows, ratios = [], {}
    for clients in levels:
        ours, theirs = by[("ours", clients)], by[("helpdesk", clients)]
        ratio = round(ours.rps / theirs.rps, 2) if theirs.rps else 0.0
        ratios[str(clients)] = ratio
        rows.append([
            clients, f"{ours.rps:.1f}", f"{ours.latency_ms['p50']} / {ours.latency_ms['p95']} / {ours.latency_ms['p99']}",
            f"{theirs.rps:.1f}", f"{theirs.latency_ms['p50']} / {theirs.latency_ms['p95']} / {theirs.latency_ms['p99']}",
            f"{ratio:.2f}×", "yes" if ratio >= TARGET_RATIO else "**no**", ours.failed + theirs.failed,
        ])
    print()
    table = harness.print_table(
        ["clients", "ours req/s", "ours p50/p95/p99 ms", "helpdesk req/s", "helpdesk p50/p95/p99 ms",
         "ours ÷ helpdesk", f"≥ {TARGET_RATIO:g}×", "errors"],
        rows,
    )
    print(f"\nSQL statements per ticket create: ours {sql['ours']['statements']}, "
          f"django-helpdesk {sql['helpdesk']['statements']}.")
    print(f"Load average before/after: {load['before']} / {load['after']}.")
    path = harness.write_results(args.output, {
        "script": "bench/helpdesk_compare.py",
        "date": harness.now_utc(),
        "command": command.strip(),
        "machine": harness.machine_info(),
        "helpdesk": {"version": HELPDESK_VERSION, "endpoint": f"POST {HELPDESK_PATH}", "auth": "DRF TokenAuthentication"},
        "config": {k: getattr(args, k) for k in ("clients", "seconds", "warmup", "rounds", "workers", "nodelay",
                                                  "conn_max_age")},
        "targets": {"ratio_min": TARGET_RATIO},
        "load_average": load,
        "ratios": ratios,
        "sql": sql,
        "results": results,
        "runs": runs,
        "table": table,
    })
    print(f"\nraw numbers: {path.relative_to(harness.REPO_DIR)}")
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
