"""Webhook latency: from a ticket's 201 (its transaction committed) to the subscriber's receiver,
at a steady 50 tickets/s, with the production shape: uvicorn (2 workers) + a Celery worker and
beat-less sweeps on Redis, PostgreSQL. Target: p95 ≤ 1 s.

    .venv/bin/python -m bench.webhook_latency [--rate 50] [--seconds 20] [--worker-concurrency 2]

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
    p.add_argument("--rate", type=float, default=50.0, help="tickets per second, open loop (default 50)")
    p.add_argument("--seconds", type=float, default=20.0, help="how long to send (default 20)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    p.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    p.add_argument("--db", default="bench_webhooks")
    p.add_argument("--redis-db", type=int, default=12)
    p.add_argument("--output", default="webhook_latency")
    return p.parse_args(argv)


def _env(db_url: str, redis_db: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "support_project.settings", "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "X402_PAY_TO": harness.BENCH_PAY_TO,
        "DATABASE_URL": db_url, "REDIS_URL": harness.redis_url(redis_db), "RATE_LIMIT_PER_MINUTE": "0",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(harness.REPO_DIR),
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m bench.webhook_latency " + " ".join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    receiver = _Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    tmp = harness.RESULTS_DIR / "tmp-webhooks"
    tmp.mkdir(parents=True, exist_ok=True)

    with harness.fresh_database(args.db) as db_url:
        env = _env(db_url, args.redis_db)
        harness.redis_flush(args.redis_db)
        worker: subprocess.Popen[bytes] | None = None
        try:
            harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                                what="migrate")
            token = _prepare(env, receiver_url)
            with (tmp / "worker.log").open("wb") as log:
                worker = subprocess.Popen(
                    [str(python), "-m", "celery", "-A", "support_project", "worker", "--pool", "prefork",
                     "-c", str(args.worker_concurrency), "--loglevel", "WARNING", "--without-gossip",
                     "--without-mingle", "--without-heartbeat"],
                    cwd=harness.REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            with harness.uvicorn_server(venv_bin=python.parent, app="support_project.asgi:application",
                                        cwd=harness.REPO_DIR, env=env, workers=args.workers, ready_path="/healthz",
                                        log_path=tmp / "server.log", nodelay=True) as server:
                sent = _send(server.url, token, rate=args.rate, seconds=args.seconds)
                deadline = time.time() + 30
                while time.time() < deadline and len(receiver.arrivals) < len(sent):
                    time.sleep(0.1)
        finally:
            if worker is not None:
                harness.stop_process_group(worker)
            harness.redis_flush(args.redis_db)
    receiver.shutdown()

    latencies = [receiver.arrivals[tid] - t for tid, t in sent.items() if tid in receiver.arrivals]
    missing = len(sent) - len(latencies)
    summary = {
        "tickets": len(sent), "delivered": len(latencies), "missing": missing,
        "achieved_rate": round(len(sent) / args.seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }
    met = summary["p95_ms"] is not None and summary["p95_ms"] <= 1000 and missing == 0
    harness.print_table(
        ["tickets/s asked", "achieved", "tickets", "delivered", "p50 ms", "p95 ms", "p99 ms", "max ms", "p95 ≤ 1 s"],
        [[args.rate, summary["achieved_rate"], summary["tickets"], summary["delivered"], summary["p50_ms"],
          summary["p95_ms"], summary["p99_ms"], summary["max_ms"], "yes" if met else "**no**"]])
    path = harness.write_results(args.output, {
        "command": command, "when": harness.now_utc(), "machine": harness.machine_info(),
        "args": vars(args), "summary": summary, "latencies_ms": [round(v * 1000, 2) for v in latencies],
    })
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
