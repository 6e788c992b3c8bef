"""Attachment uploads through the production server shape: how long an upload takes at 100 KiB,
1 MiB and 10 MiB (file-system storage), the server's peak memory meanwhile, and how early an
oversize upload is refused — declared (Content-Length) and streamed (chunked).

    .venv/bin/python -m bench.attachments_upload [--rounds 20]

One uvicorn process (`--workers 1`, so its /proc status is the server's), PostgreSQL, Redis;
attachments go to a throw-away folder. The oversize client sends 200 MiB in 256 KiB chunks and
stops as soon as an answer is readable; "sent" is what it had sent by then.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench import harness

MIB = 1024 * 1024
SIZES = (100 * 1024, MIB, 10 * MIB)
PLANNED = 200 * MIB
CHUNK = 256 * 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=20, help="uploads per size (default 20)")
    p.add_argument("--db", default="bench_attachments")
    p.add_argument("--redis-db", type=int, default=11)
    p.add_argument("--output", default="attachments_upload")
    return p.parse_args(argv)


def _env(db_url: str, redis_db: int, root: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "support_project.settings", "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "DATABASE_URL": db_url, "REDIS_URL": harness.redis_url(redis_db), "RATE_LIMIT_PER_MINUTE": "0",
        "ATTACHMENT_ROOT": root, "ATTACHMENT_MAX_TOTAL_BYTES": str(10 * 1024 * MIB),
        "LOG_LEVEL": "WARNING", "PYTHONPATH": str(harness.REPO_DIR),
    })
    return env


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _oversize(base: str, token: str, sid: str, *, chunked: bool) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {PLANNED}"
    head = (f"POST /api/v1/demo/sessions/{sid}/attachments HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\n{length}\r\n\r\n").encode()
    chunk = b"x" * CHUNK
    frame = (f"{CHUNK:x}\r\n".encode() + chunk + b"\r\n") if chunked else chunk
    conn = socket.create_connection((host, int(port)), timeout=30)
    start = time.perf_counter()
    conn.sendall(head)
    sent = 0
    try:
        while sent < PLANNED and not select.select([conn], [], [], 0)[0]:
            try:
                conn.sendall(frame)
            except OSError:
                break
            sent += CHUNK
        status = conn.recv(64).split(b"\r\n", 1)[0].decode()
    finally:
        conn.close()
    return {"mode": "chunked" if chunked else "declared", "status": status, "sent_bytes": sent,
            "ms": round((time.perf_counter() - start) * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m bench.attachments_upload " + " ".join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    tmp = harness.RESULTS_DIR / "tmp-attachments"
    tmp.mkdir(parents=True, exist_ok=True)
    rows: list[list[Any]] = []
    uploads: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-attachments-") as root, harness.fresh_database(args.db) as db_url:
        env = _env(db_url, args.redis_db, root)
        harness.redis_flush(args.redis_db)
        try:
            harness.run_checked([str(python), "manage.py", "migrate", "--noinput"], env=env, cwd=harness.REPO_DIR,
                                what="migrate")
            token = _agent(env)
            with harness.uvicorn_server(venv_bin=python.parent, app="support_project.asgi:application",
                                        cwd=harness.REPO_DIR, env=env, workers=1, ready_path="/healthz",
                                        log_path=tmp / "server.log", nodelay=True) as server:
                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {token}"
                ticket = session.post(f"{server.url}/api/v1/support/tickets", timeout=30, json={
                    "category": "other", "subject": "bench", "body": "bench"}).json()
                sid = ticket["support_session_id"]
                rss_start = _peak_rss_kib(server.process.pid)
                for size in SIZES:
                    payload = os.urandom(size)
                    times = []
                    for _ in range(args.rounds):
                        t0 = time.perf_counter()
                        response = session.post(f"{server.url}/api/v1/demo/sessions/{sid}/attachments", timeout=60,
                                                files={"file": ("bench.bin", payload, "application/octet-stream")})
                        times.append(time.perf_counter() - t0)
                        assert response.status_code == 201, response.text
                    p50, p95 = statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]
                    rss = _peak_rss_kib(server.process.pid)
                    uploads[str(size)] = {"p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1),
                                          "peak_rss_kib": rss}
                    rows.append([f"{size // 1024} KiB", args.rounds, round(p50 * 1000, 1), round(p95 * 1000, 1),
                                 round(size / MIB / p50, 1), round((rss - rss_start) / 1024, 1)])
                refusals = [_oversize(server.url, token, sid, chunked=c) for c in (False, True)]
        finally:
            harness.redis_flush(args.redis_db)
    harness.print_table(["file", "uploads", "p50 ms", "p95 ms", "MiB/s at p50", "server peak RSS growth MiB"], rows)
    harness.print_table(["oversize (200 MiB planned)", "answer", "client had sent", "ms to answer"],
                        [[r["mode"], r["status"], f"{r['sent_bytes'] / MIB:.2f} MiB", r["ms"]] for r in refusals])
    path = harness.write_results(args.output, {
        "command": command, "when": harness.now_utc(), "machine": harness.machine_info(),
        "load_average": harness.load_average(), "args": vars(args), "uploads": uploads, "oversize": refusals,
    })
    print(f"raw numbers: {path.relative_to(harness.REPO_DIR)}")
    return 0 if all(r["status"].startswith("HTTP/1.1 413") for r in refusals) else 1


def _agent(env: dict[str, str]) -> str:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from accounts.services import agent_create

    _, token = agent_create(name="attachments bench", grant_micros=1_000_000)
    connection.close()
    return token


if __name__ == "__main__":
    raise SystemExit(main())
