"""Webhook latency: from a ticket's 201 (its transaction committed) to the subscriber's receiver,
at a steady rate, with the production shape: the web command (2 workers), the outbox relay
(`manage.py webhooks_relay`: LISTEN webhooks.outbox → batch fan-out) and a Celery worker on Redis,
PostgreSQL. Targets (issue 17): p95 ≤ 1 s at 70 % of the machine's maximum create rate, ≤ 100 ms
at 20 tickets/s.

    .venv/bin/python -m bench.webhook_latency [--rate 20] [--seconds 20] [--pin-worker-core 1]
    .venv/bin/python -m bench.webhook_latency --find-max [--fraction 0.7] [--pin-worker-core 1]

Every open-loop phase follows a `--warmup` (5 s at the same rate, not measured, then its backlog
delivered). `--find-max` first measures the maximum create rate with the whole pipeline running (wrk, closed
loop, `--max-clients` connections for `--max-seconds` after a 3 s warm-up), waits for that backlog
to be delivered, then runs the open-loop phase at `--fraction` of it. `--pin-worker-core N` starts
the Celery worker and the relay under `taskset -c N` (`--relay-unpinned`: the worker only); the web workers are not pinned and
PostgreSQL, a system service, stays wherever the kernel runs it. `--no-relay` measures the old
path (WEBHOOK_RELAY=0: a Celery publish after commit inside the request).

The receiver is a threaded HTTP server on 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE_TARGETS=1 for the
run); it notes the arrival time of each `support.ticket_created` and matches it to the time the
client saw that ticket's 201. Both clocks are this machine's monotonic-aligned wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from bench import harness

TICKET_BODY = {"category": "bug", "subject": "Latency probe", "body": "Measuring commit → receiver."}


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        at = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()
        event = json.loads(body)
        if event.get("type") == "support.ticket_created":
            with self.server.lock:  # type: ignore[attr-defined]
                self.server.arrivals.setdefault(event["data"]["ticket"]["ticket_id"], at)  # type: ignore[attr-defined]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=20.0, help="tickets per second, open loop (default 20)")
    p.add_argument("--find-max", action="store_true", help="measure the max create rate first, then run at --fraction of it")
    p.add_argument("--fraction", type=float, default=0.7, help="with --find-max: open-loop rate ÷ max (default 0.7)")
    p.add_argument("--max-clients", type=int, default=8, help="with --find-max: wrk connections (default 8)")
    p.add_argument("--max-seconds", type=float, default=15.0, help="with --find-max: measured seconds (default 15)")
    p.add_argument("--pin-worker-core", type=int, default=None, help="run the Celery worker (and the relay) on this core")
    p.add_argument("--relay-unpinned", action="store_true", help="with --pin-worker-core: leave the relay unpinned")
    p.add_argument("--pin-web-core", type=int, default=None,
                   help="run the web server's processes on this core (PostgreSQL, a system service, stays unpinned)")
    p.add_argument("--no-relay", action="store_true", help="WEBHOOK_RELAY=0: the old publish-after-commit path")
    p.add_argument("--seconds", type=float, default=20.0, help="how long to send (default 20)")
    p.add_argument("--warmup", type=float, default=5.0,
                   help="seconds at the same rate first, not measured (default 5): first requests, first tasks")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    p.add_argument("--worker-concurrency", type=int, default=4,
                   help="Celery worker processes (default 4, the Procfile's CELERY_CONCURRENCY default)")
    p.add_argument("--db", default="bench_webhooks")
    p.add_argument("--redis-db", type=int, default=12)
    p.add_argument("--target-ms", type=float, default=None,
                   help="p95 target (default: 100 ms at ≤ 20/s, else 1000 ms)")
    p.add_argument("--output", default="webhook_latency")
    return p.parse_args(argv)


def _env(db_url: str, redis_db: int, *, relay: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "support_project.settings", "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "X402_PAY_TO": harness.BENCH_PAY_TO,
        "DATABASE_URL": db_url, "REDIS_URL": harness.redis_url(redis_db), "RATE_LIMIT_PER_MINUTE": "0",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(harness.REPO_DIR),
        "WEBHOOK_RELAY": "1" if relay else "0",
    })
    return env


def _prepare(env: dict[str, str], receiver_url: str) -> str:
    """Create the agent and its subscription through the services; the admin bearer."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from accounts.services import agent_create
    from webhooks.selectors import Owner
    from webhooks.services import subscription_create

    agent, token = agent_create(name="latency agent", grant_micros=1_000_000_000)
    subscription_create(owner=Owner(agent=agent, staff_user=None), label="latency", event_types=["support.ticket_created"],
                        callback_url=receiver_url)
    connection.close()
    return token


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _pinned(cmd: list[str], core: int | None) -> list[str]:
    return cmd if core is None else ["taskset", "-c", str(core), *cmd]


def _backlog(db_url: str) -> int:
    """Events not fanned out + deliveries not yet sent: 0 once everything created was delivered."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM webhooks_event WHERE fanned_out_at IS NULL) "
                           "+ (SELECT count(*) FROM webhooks_delivery WHERE status IN ('pending', 'failed'))").fetchone()
    return int(row[0]) if row else 0


STAGES_SQL = """
WITH s AS (
    SELECT extract(epoch FROM d.created_at - e.created_at) * 1000 AS to_fan_out,
           extract(epoch FROM a.attempted_at - d.created_at) * 1000 AS to_claim,
           a.duration_ms AS post
    FROM webhooks_event e JOIN webhooks_delivery d ON d.event_id = e.seq
    JOIN webhooks_deliveryattempt a ON a.delivery_id = d.id AND a.attempt_number = 1
    WHERE e.type = 'support.ticket_created' AND e.created_at >= to_timestamp(%s)
)
SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY to_fan_out),
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY to_claim),
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY post)
FROM s
"""


def _stages(db_url: str, since: float) -> dict[str, list[float]]:
    """Where the time went, from the rows (p50/p95/p99 ms): the event's INSERT in the request → its
    delivery row (relay fan-out; includes the rest of the request and the COMMIT), → the worker's
    claim (broker + queueing in the worker), and the POST itself."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        row = conn.execute(STAGES_SQL, [since]).fetchone()
    names = ("insert_to_fan_out_ms", "fan_out_to_claim_ms", "post_ms")
    return {name: [round(v, 1) for v in (values or [])] for name, values in zip(names, row or (), strict=False)}


def _cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) so far of every live process in each process group, plus every
    `postgres` process (PostgreSQL is a system service: all of its backends, ours and others')."""
    tick = os.sysconf("SC_CLK_TCK")
    out = dict.fromkeys([*groups, "postgres"], 0.0)
    by_pgid = {pgid: name for name, pgid in groups.items()}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        name = by_pgid.get(int(fields[2]))
        if name is not None:
            out[name] += cpu
        elif comm == "postgres":
            out["postgres"] += cpu
    return out


def _wait_idle(groups: dict[str, int], timeout: float = 60.0) -> float:
    """Wait until the started processes are idle (< 5 % of a core over 1 s): the web workers train
    the agent's classifiers in a background thread at start-up, which would load the first seconds."""
    started = time.monotonic()
    before = _cpu_seconds(groups)
    while time.monotonic() - started < timeout:
        time.sleep(1.0)
        after = _cpu_seconds(groups)
        if sum(after[k] - before[k] for k in groups) < 0.05:
            break
        before = after
    return round(time.monotonic() - started, 1)


def _wait_drained(db_url: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout and _backlog(db_url) > 0:
        time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m bench.webhook_latency " + " ".join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    tmp = harness.RESULTS_DIR / "tmp-webhooks"
    tmp.mkdir(parents=True, exist_ok=True)
    if args.find_max:
        harness.require_wrk()
    load = {"before": harness.load_average()}
    max_phase: dict[str, Any] | None = None
    rate = args.rate

    with harness.fresh_database(args.db) as db_url:
        env = _env(db_url, args.redis_db, relay=not args.no_relay)
        harness.redis_flush(args.redis_db)
        side: list[subprocess.Popen[bytes]] = []
        try:
            harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                                what="migrate")
            token = _prepare(env, receiver_url)
            with (tmp / "worker.log").open("wb") as log:
                side.append(subprocess.Popen(
                    _pinned([str(python), "-m", "celery", "-A", "support_project", "worker", "--pool", "prefork",
                             "-c", str(args.worker_concurrency), "--loglevel", "WARNING", "--without-gossip",
                             "--without-mingle", "--without-heartbeat"], args.pin_worker_core),
                    cwd=harness.REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            if not args.no_relay:
                relay_core = None if args.relay_unpinned else args.pin_worker_core
                with (tmp / "relay.log").open("wb") as log:
                    side.append(subprocess.Popen(
                        _pinned([str(python), "manage.py", "webhooks_relay"], relay_core),
                        cwd=harness.REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            with harness.uvicorn_server(venv_bin=python.parent, app="support_project.asgi:application",
                                        cwd=harness.REPO_DIR, env=env, workers=args.workers, ready_path="/healthz",
                                        log_path=tmp / "server.log", nodelay=True) as server:
                if args.pin_web_core is not None:  # the uvicorn parent and its workers, every thread
                    for pid in harness.group_pids(server.process.pid):
                        subprocess.run(["taskset", "-a", "-p", "-c", str(args.pin_web_core), str(pid)], check=True,
                                       stdout=subprocess.DEVNULL)
                groups = {"web": server.process.pid, "worker": side[0].pid}
                if not args.no_relay:
                    groups["relay"] = side[1].pid
                print(f"start-up work done after {_wait_idle(groups)} s", flush=True)
                if args.find_max:
                    url = server.url + "/api/v1/support/tickets"
                    result, _ = harness.warm_and_measure(url=url, auth=f"Bearer {token}", body=TICKET_BODY,
                                                         clients=args.max_clients, warmup=3, seconds=args.max_seconds,
                                                         target="create")
                    max_rate = round((result.requests - result.failed) / result.duration_s, 1)
                    drained_s = _wait_drained(db_url, timeout=60)
                    rate = round(max_rate * args.fraction, 1)
                    max_phase = {"wrk": result, "max_rate": max_rate, "backlog_drained_in_s": drained_s,
                                 "backlog_left": _backlog(db_url)}
                    print(f"max create rate: {max_rate}/s (wrk c={args.max_clients}, {result.failed} failed, "
                          f"create p50 {result.latency_ms['p50']} ms); its webhooks drained in {drained_s} s; "
                          f"open loop at {args.fraction:.0%}: {rate}/s", flush=True)
                    load["after_max"] = harness.load_average()
                if args.warmup > 0:
                    # Each process's first requests and tasks (lazy imports, pooled connections,
                    # the worker children's first task) cost hundreds of ms: not what is measured.
                    _send(server.url, token, rate=rate, seconds=args.warmup)
                    _wait_drained(db_url, timeout=60)
                cpu_before = _cpu_seconds(groups)
                open_loop_started = time.time()
                sent = _send(server.url, token, rate=rate, seconds=args.seconds)
                deadline = time.time() + 30
                while time.time() < deadline and len(receiver.arrivals) < len(sent):
                    time.sleep(0.1)
                cpu_after = _cpu_seconds(groups)
                cpu_ms_per_ticket = {name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(1, len(sent)), 1)
                                     for name in cpu_after}
            stages = _stages(db_url, open_loop_started)
            load["after"] = harness.load_average()
        finally:
            for process in side:
                harness.stop_process_group(process)
            harness.redis_flush(args.redis_db)
    receiver.shutdown()

    latencies = [receiver.arrivals[tid] - t for tid, t in sent.items() if tid in receiver.arrivals]
    missing = len(sent) - len(latencies)
    summary = {
        "tickets": len(sent), "delivered": len(latencies), "missing": missing, "rate_asked": rate,
        "achieved_rate": round(len(sent) / args.seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }
    target_ms = args.target_ms or (100.0 if rate <= 20 else 1000.0)
    met = summary["p95_ms"] is not None and summary["p95_ms"] <= target_ms and missing == 0
    harness.print_table(
        ["tickets/s asked", "achieved", "tickets", "delivered", "p50 ms", "p95 ms", "p99 ms", "max ms",
         f"p95 ≤ {target_ms:g} ms", "load avg before → after"],
        [[rate, summary["achieved_rate"], summary["tickets"], summary["delivered"], summary["p50_ms"],
          summary["p95_ms"], summary["p99_ms"], summary["max_ms"], "yes" if met else "**no**",
          f"{load['before'][0] if load['before'] else '?'} → {load['after'][0] if load['after'] else '?'}"]])
    path = harness.write_results(args.output, {
        "command": command, "when": harness.now_utc(), "machine": harness.machine_info(),
        "args": vars(args), "relay": not args.no_relay, "pinned_core": args.pin_worker_core, "web_core": args.pin_web_core,
        "load_average": load,
        "max_phase": max_phase, "target_ms": target_ms, "summary": summary, "stages": stages,
        "cpu_ms_per_ticket": cpu_ms_per_ticket,
        "latencies_ms": [round(v * 1000, 2) for v in latencies],
    })
    print("CPU ms per ticket: " + ", ".join(f"{k} {v}" for k, v in cpu_ms_per_ticket.items()))
    print("stages p50/p95/p99 ms: " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    print(f"raw numbers: {path.relative_to(harness.REPO_DIR)}")
    return 0 if met else 1


def _send(base: str, token: str, *, rate: float, seconds: float) -> dict[str, float]:
    """Open loop: one request every 1/rate s from a thread pool; {ticket_id: time the 201 arrived}."""
    sent: dict[str, float] = {}
    lock = threading.Lock()
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}

    def one() -> None:
        response = session.post(f"{base}/api/v1/support/tickets", json=TICKET_BODY, headers=headers, timeout=30)
        at = time.time()
        if response.status_code == 201:
            with lock:
                sent[response.json()["ticket_id"]] = at

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        n = 0
        while time.monotonic() - start < seconds:
            pool.submit(one)
            n += 1
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return sent


if __name__ == "__main__":
    raise SystemExit(main())
