"""What every benchmark here shares: a throwaway PostgreSQL database, a Redis db index, an ASGI
server started the production way, the `wrk` load generator, and the results table + JSON file.

Every process a script starts is started in its own session and stopped by its process-group id
when the script ends (also on Ctrl-C or an error), and every database it creates is dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
WRK_SCRIPT = BENCH_DIR / "wrk" / "post_json.lua"

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
# Production settings refuse to start without a receiving address; benchmarks never settle a payment.
BENCH_PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"


# --- PostgreSQL ------------------------------------------------------------------------------------

def database_url(name: str) -> str:
    """The URL of database `name` on the admin URL's server."""
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(statement)


def drop_database(name: str) -> None:
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """Create database `name` (dropping a leftover first); drop it on the way out. Yields its URL."""
    drop_database(name)
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(name)
    finally:
        drop_database(name)


def count_rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


# --- Redis -----------------------------------------------------------------------------------------

def redis_url(db: int) -> str:
    return f"{REDIS_BASE_URL}/{db}"


def redis_flush(db: int) -> None:
    """FLUSHDB on the benchmark's own db index (never FLUSHALL), with redis-py from the product venv."""
    import redis

    redis.Redis.from_url(redis_url(db), socket_timeout=5).flushdb()


# --- processes -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_checked(cmd: Sequence[str], *, env: dict[str, str], cwd: Path, what: str) -> str:
    """Run a short setup command; on failure show its output and stop."""
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}")
    return proc.stdout


@dataclass
class Server:
    """A uvicorn process group serving one ASGI app; `url` is its base URL."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see {log_path}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not answer {url} within {timeout:.0f}s; see {log_path}")


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group this script started (uvicorn and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


SERVE_NODELAY = BENCH_DIR.parent / "support_project" / "serve.py"


@contextlib.contextmanager
def uvicorn_server(
    *, venv_bin: Path, app: str, cwd: Path, env: dict[str, str], workers: int, ready_path: str,
    log_path: Path, nodelay: bool = False, lifespan: str = "on", ready_timeout: float = 60.0,
) -> Iterator[Server]:
    """`uvicorn APP --workers N` on 127.0.0.1 with the Procfile's flags; stopped on exit.

    With `nodelay`, the same command line through support_project/serve.py (TCP_NODELAY on). A plain
    Django ASGI app rejects lifespan events, so it is served with `lifespan="auto"`.
    """
    port = free_port()
    launcher = [str(venv_bin / "python"), str(SERVE_NODELAY)] if nodelay else [str(venv_bin / "uvicorn")]
    cmd = [*launcher, app, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--lifespan", lifespan, "--proxy-headers"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + ready_path, process, log_path, ready_timeout)
        yield Server(url=base, process=process, log_path=log_path)
    finally:
        stop_process_group(process)


# --- load generation -------------------------------------------------------------------------------

@dataclass
class LoadResult:
    target: str
    clients: int
    duration_s: float
    requests: int
    errors: dict[str, int]
    rps: float
    latency_ms: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: run `apt-get install -y wrk` (Debian's package) and try again.")
    return path


def run_wrk(*, url: str, auth: str, body: dict[str, Any], clients: int, seconds: float, target: str) -> LoadResult:
    """Closed-loop load: `clients` keep-alive connections on one wrk thread, each POSTing back to back."""
    env = {**os.environ, "BENCH_BODY": json.dumps(body), "BENCH_AUTH": auth}
    cmd = [require_wrk(), "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
           "-s", str(WRK_SCRIPT), url]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 120)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return LoadResult(
        target=target, clients=clients, duration_s=round(duration, 3), requests=raw["requests"], errors=raw["errors"],
        rps=round(raw["requests"] / duration, 1),
        latency_ms={k: round(float(v) / 1000, 2) for k, v in lat.items()},
    )


def warm_and_measure(*, url: str, auth: str, body: dict[str, Any], clients: int, warmup: float, seconds: float,
                     target: str, cpu: CpuProbe | None = None) -> tuple[LoadResult, int]:
    """Warm up at the same concurrency (discarded), then measure. Returns (result, requests sent in warm-up).
    With `cpu`, the measured run's CPU time per request by process group goes to `extra["cpu_ms"]`."""
    warm = run_wrk(url=url, auth=auth, body=body, clients=clients, seconds=warmup, target=target) if warmup > 0 else None
    before = cpu.seconds() if cpu else {}
    result = run_wrk(url=url, auth=auth, body=body, clients=clients, seconds=seconds, target=target)
    if cpu and result.requests:
        after = cpu.seconds()
        result.extra["cpu_ms"] = {k: round((after[k] - before[k]) * 1000 / result.requests, 3) for k in after}
    return result, (warm.requests if warm else 0)


# --- CPU time per request (comparable on a shared machine, unlike req/s) -----------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def group_pids(pgid: int) -> list[int]:
    """Every process of a process group (a server this script started in its own session)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry.name))
    return pids


class CpuProbe:
    """CPU seconds used so far by: the server's process group, the PostgreSQL backends of `db`
    (exited backends are counted through the cumulative totals of the ones still there — with a pool
    they live for the whole run), and this script's finished children (wrk)."""

    def __init__(self, *, server: subprocess.Popen[bytes], db: str) -> None:
        self.server_pgid = server.pid
        self.db = db

    def _backend_pids(self) -> list[int]:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                                [self.db]).fetchall()
        return [int(pid) for (pid,) in rows]

    def seconds(self) -> dict[str, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "server": sum(_proc_cpu_seconds(pid) for pid in group_pids(self.server_pgid)),
            "postgres": sum(_proc_cpu_seconds(pid) for pid in self._backend_pids()),
            "wrk": children.ru_utime + children.ru_stime,
        }


# --- output ----------------------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    with contextlib.suppress(OSError):
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
        info["cpu_model"] = model
    with contextlib.suppress(OSError):
        kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        info["memory_gib"] = round(kb / 1024 / 1024, 1)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        info["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=5).stdout.split("\n")[0]
    return info


def load_average() -> list[float]:
    """1/5/15-minute load averages: other work on this machine skews every number, so record it."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def median_result(runs: Sequence[LoadResult]) -> LoadResult:
    """The per-field median of repeated runs of one target at one concurrency."""
    def med(values: list[float]) -> float:
        ordered = sorted(values)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    first = runs[0]
    errors = {k: sum(r.errors[k] for r in runs) for k in first.errors}
    return LoadResult(
        target=first.target, clients=first.clients, duration_s=round(sum(r.duration_s for r in runs), 3),
        requests=sum(r.requests for r in runs), errors=errors, rps=round(med([r.rps for r in runs]), 1),
        latency_ms={k: round(med([r.latency_ms[k] for r in runs]), 2) for k in first.latency_ms},
        extra={"rounds": len(runs), "rps_each": [r.rps for r in runs]},
    )


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table (printed, and pasted as is into bench/README.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    text = "\n".join(lines)
    print(text)
    return text


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    def encode(obj: Any) -> Any:
        return asdict(obj) if hasattr(obj, "__dataclass_fields__") else str(obj)

    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=encode) + "\n")
    return path
