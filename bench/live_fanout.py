"""Live fan-out: 1,000 open event streams (customers and staff) on the production web command
(`python -m support_project.serve support_project.asgi:application --workers 2`), PostgreSQL
LISTEN/NOTIFY, writes at a steady rate. Measures commit → event at the client (target p95 ≤ 300 ms
at 20 writes/s) and the web workers' memory per open stream.

    .venv/bin/python -m bench.live_fanout [--streams 1000] [--staff 200] [--rate 20] [--seconds 30]

Each customer stream belongs to its own agent (one ticket each); staff streams see every event.
A write is an operator's public reply through `tickets.operators.ticket_reply` in this process:
its commit time is when its COMMIT returned (noted by wrapping this process's connection). The
streams are read by a separate client process (asyncio, raw HTTP/1.1) that notes when each reply's
`message` event arrives; both processes use the machine's monotonic clock. Memory: the RSS of the
worker processes before the streams open and once they are all open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import harness


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000, help="open streams in all (default 1000)")
    parser.add_argument("--staff", type=int, default=200, help="of which staff streams (default 200)")
    parser.add_argument("--rate", type=float, default=20.0, help="writes per second (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to write (default 30)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--writers", type=int, default=1, help="writer threads sharing the schedule (default 1)")
    parser.add_argument("--db", default="bench_live_fanout")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--output", default="live_fanout")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)  # the reader process
    return parser.parse_args(argv)


def _env(db_url: str, redis_db: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "support_project.settings", "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "X402_PAY_TO": harness.BENCH_PAY_TO, "DATABASE_URL": db_url, "REDIS_URL": harness.redis_url(redis_db),
        # Tasks are queued on Redis (nobody consumes them here): an eager webhook fan-out would run
        # inside the writer's call after its commit and blur the commit time.
        "CELERY_TASK_ALWAYS_EAGER": "0", "RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(harness.REPO_DIR),
    })
    return env


def _prepare(env: dict[str, str], customers: int) -> tuple[list[dict[str, Any]], str]:
    """Agents with one ticket each, and a staff token, through the services."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.services import agent_create, staff_token_create
    from tickets.services import ticket_open

    out = []
    for n in range(customers):
        agent, token = agent_create(name=f"fanout agent {n}", grant_micros=1_000_000)
        stored = ticket_open(agent=agent, category="bug", subject=f"Fan-out {n}", body="Measuring live streams.",
                             source_session=None, resource_url="http://bench/api/v1/support/tickets")
        out.append({"token": token, "session": stored.body["support_session_id"], "ticket": stored.body["ticket_id"]})
    user = get_user_model().objects.create_user(username="fanout-staff", password="unused-pw-0", is_staff=True)
    _, staff_token = staff_token_create(user=user)
    connection.close()
    return out, staff_token


def _worker_rss_kib(server_pid: int) -> dict[int, int]:
    """VmRSS of the server's child processes (the uvicorn workers)."""
    out: dict[int, int] = {}
    children = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True).stdout.split()
    for pid in (int(p) for p in children):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        out[pid] = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


# --- the reader process ----------------------------------------------------------------------------------

async def _read_stream(host: str, port: int, path: str, token: str, kind: str, arrivals: list[tuple[str, str, float]],
                       opened: asyncio.Event, counter: list[int], total: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    counter[0] += 1
    if counter[0] == total:
        opened.set()
    event = ""
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"event: "):
            event = line[7:].strip().decode()
        elif line.startswith(b"data: ") and event == "message":
            text = json.loads(line[6:])["message"]["text"]
            if text.startswith("probe "):
                arrivals.append((text, kind, time.monotonic()))


async def _client_main() -> None:
    spec = json.loads(sys.stdin.readline())
    arrivals: list[tuple[str, str, float]] = []
    opened = asyncio.Event()
    counter = [0]
    streams = spec["streams"]
    tasks = []
    for n, (path, token, kind) in enumerate(streams):
        tasks.append(asyncio.ensure_future(_read_stream(spec["host"], spec["port"], path, token, kind, arrivals,
                                                        opened, counter, len(streams))))
        if n % 50 == 49:
            await asyncio.sleep(0.05)  # don't open 1,000 connections in one burst
    await asyncio.wait_for(opened.wait(), timeout=120)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "STOP"
    failed = [t for t in tasks if t.done() and t.exception() is not None]
    for task in tasks:
        task.cancel()
    print(json.dumps({"arrivals": arrivals, "failed_streams": len(failed)}), flush=True)


# --- the writers -------------------------------------------------------------------------------------------

def _write(args: argparse.Namespace, people: list[dict[str, Any]], tickets: dict[str, Any], staff_user: Any,
           committed: dict[str, tuple[float, float]], call_ms: list[float]) -> tuple[float, int]:
    """Open loop: write n is due at start + n/rate, taken by the next free writer thread. Each
    writer notes when its COMMITs return by wrapping its own connection (bench-only instrumentation):
    a reply's transaction is the last commit inside its call."""
    import threading

    from django.db import connection

    from tickets import operators

    interval = 1.0 / args.rate
    total = int(args.seconds * args.rate)
    lock = threading.Lock()
    state = {"next": 0, "late": 0}
    start = time.monotonic() + 0.5

    def writer() -> None:
        commit_times: list[float] = []
        connection.ensure_connection()
        real_commit = connection._commit

        def timed_commit() -> None:
            real_commit()
            commit_times.append(time.monotonic())

        connection._commit = timed_commit  # type: ignore[method-assign]
        try:
            while True:
                with lock:
                    n = state["next"]
                    if n >= total:
                        return
                    state["next"] = n + 1
                due = start + n * interval
                now = time.monotonic()
                if now < due:
                    time.sleep(due - now)
                elif now - due > interval:
                    with lock:
                        state["late"] += 1
                person = random.choice(people)
                probe = f"probe {n}"
                called = time.monotonic()
                operators.ticket_reply(ticket=tickets[person["ticket"]], staff_user=staff_user, text=probe)
                returned = time.monotonic()
                with lock:
                    committed[probe] = (commit_times[-1], returned)
                    call_ms.append((returned - called) * 1000)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(args.writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(committed) / (time.monotonic() - start), state["late"]


# --- the driver ----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.client:
        asyncio.run(_client_main())
        return 0
    command = "python -m bench.live_fanout " + " ".join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    customers = args.streams - args.staff
    tmp = harness.RESULTS_DIR / "tmp-live"
    tmp.mkdir(parents=True, exist_ok=True)
    load_before = harness.load_average()

    with harness.fresh_database(args.db) as db_url:
        env = _env(db_url, args.redis_db)
        harness.redis_flush(args.redis_db)
        harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                            what="migrate")
        people, staff_token = _prepare(env, customers)
        from django.contrib.auth import get_user_model
        from django.db import connection

        from tickets.models import Ticket

        staff_user = get_user_model().objects.get(username="fanout-staff")
        tickets = {t.public_id: t for t in Ticket.objects.all()}
        connection.close()
        with harness.uvicorn_server(venv_bin=python.parent, app="support_project.asgi:application",
                                    cwd=harness.REPO_DIR, env=env, workers=args.workers, ready_path="/healthz",
                                    log_path=tmp / "web.log", nodelay=True) as server:
            port = int(server.url.rsplit(":", 1)[1])
            rss_idle = _worker_rss_kib(server.process.pid)
            streams = [(f"/api/v1/demo/sessions/{p['session']}/events", p["token"], "customer") for p in people]
            streams += [("/api/admin/support/events", staff_token, "staff")] * args.staff
            client = subprocess.Popen([str(python), "-m", "bench.live_fanout", "--client"], cwd=harness.REPO_DIR,
                                      env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert client.stdin is not None and client.stdout is not None
            client.stdin.write(json.dumps({"host": "127.0.0.1", "port": port, "streams": streams}) + "\n")
            client.stdin.flush()
            if client.stdout.readline().strip() != "READY":
                raise SystemExit("the stream client did not get all streams open")
            time.sleep(2.0)
            rss_open = _worker_rss_kib(server.process.pid)

            committed: dict[str, tuple[float, float]] = {}
            call_ms: list[float] = []
            achieved, late = _write(args, people, tickets, staff_user, committed, call_ms)
            time.sleep(3.0)
            client.stdin.write("STOP\n")
            client.stdin.flush()
            result = json.loads(client.stdout.readline())
            client.wait(30)

    load_after = harness.load_average()
    by_kind: dict[str, list[float]] = {"customer": [], "staff": []}  # from the COMMIT's return
    lower: dict[str, list[float]] = {"customer": [], "staff": []}  # from the service call's return
    for probe, kind, arrived in result["arrivals"]:
        if probe in committed:
            by_kind[kind].append((arrived - committed[probe][0]) * 1000)
            lower[kind].append((arrived - committed[probe][1]) * 1000)
    expected = {"customer": len(committed), "staff": len(committed) * args.staff}
    rows = []
    summary: dict[str, Any] = {}
    lower["all"] = lower["customer"] + lower["staff"]
    for kind, values in [*by_kind.items(), ("all", by_kind["customer"] + by_kind["staff"])]:
        stats = {"events": len(values), "p95_lower_bound_ms": round(_percentile(lower[kind], 0.95), 1),
                 "p50_ms": round(_percentile(values, 0.5), 1),
                 "p95_ms": round(_percentile(values, 0.95), 1), "p99_ms": round(_percentile(values, 0.99), 1),
                 "max_ms": round(max(values), 1) if values else None}
        if kind in expected:
            stats["expected"] = expected[kind]
        summary[kind] = stats
        rows.append([kind, stats["events"], stats.get("expected", sum(expected.values())), stats["p50_ms"],
                     stats["p95_ms"], stats["p99_ms"], stats["max_ms"], stats["p95_lower_bound_ms"]])
    idle_total, open_total = sum(rss_idle.values()), sum(rss_open.values())
    per_stream_kib = round((open_total - idle_total) / args.streams, 1)
    print(f"\n{args.streams} streams ({customers} customer, {args.staff} staff), {achieved:.1f} writes/s for "
          f"{args.seconds:.0f} s ({late} writes late); failed streams: {result['failed_streams']}")
    table = harness.print_table(["stream", "events", "expected", "p50 ms", "p95 ms", "p99 ms", "max ms",
                                 "p95 from call return"], rows)
    print(f"\nworkers' RSS: {idle_total / 1024:.1f} MiB before the streams, {open_total / 1024:.1f} MiB with "
          f"{args.streams} open → {per_stream_kib} KiB per open stream")
    print(f"writer: service call p50 {_percentile(call_ms, 0.5):.1f} ms, p95 {_percentile(call_ms, 0.95):.1f} ms")
    print(f"load average before/after: {load_before} / {load_after}")
    path = harness.write_results(args.output, {
        "command": command, "when": harness.now_utc(), "machine": harness.machine_info(),
        "load_average_before": load_before, "load_average_after": load_after,
        "streams": args.streams, "staff_streams": args.staff, "writes": len(committed),
        "writes_per_second": round(achieved, 2), "late_writes": late, "failed_streams": result["failed_streams"],
        "latency": summary, "table": table,
        "writer_call_ms": {"p50": round(_percentile(call_ms, 0.5), 1), "p95": round(_percentile(call_ms, 0.95), 1)},
        "rss_kib": {"idle": rss_idle, "open": rss_open, "per_stream": per_stream_kib},
    })
    print(f"raw numbers: {path.relative_to(harness.REPO_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
