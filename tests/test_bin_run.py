"""`bin/run` on spare ports: it serves the app and the local facilitator, prints the demo agent's
live balance on a restart, and SIGTERM (a supervisor) or Ctrl-C (SIGINT to the process group)
stops both servers, leaving nothing behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from django.conf import settings

BIN_RUN = settings.BASE_DIR / "bin" / "run"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    def __init__(self, state: Path, port: int, facilitator_port: int) -> None:
        self.port, self.facilitator_port = port, facilitator_port
        self.log = state / f"run-{time.monotonic_ns()}.log"
        env = {**os.environ, "PORT": str(port), "X402_FACILITATOR_PORT": str(facilitator_port),
               "RUN_STATE_DIR": str(state)}
        for name in ("DATABASE_URL", "REDIS_URL", "TEST_DB_NAME"):
            env.pop(name, None)
        with self.log.open("w") as out:
            # A session of its own, like a terminal's foreground job: Ctrl-C signals the whole group.
            # SIGINT back to its default as in a terminal: a suite started in the background (`&` in a
            # script) inherits it ignored, and bash can't trap a signal ignored on entry.
            self.proc = subprocess.Popen([str(BIN_RUN)], stdout=out, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True, preexec_fn=_sigint_default)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    if response.status == 200 and _listening(facilitator_port):
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            self.proc.kill()
            raise AssertionError(f"bin/run did not come up:\n{self.output()}")
        self.servers = _children(self.proc.pid)
        assert len(self.servers) == 2, self.servers

    def output(self) -> str:
        return self.log.read_text()

    def stop_with(self, send: str) -> None:
        if send == "SIGTERM":
            os.kill(self.proc.pid, signal.SIGTERM)
        else:  # Ctrl-C in a terminal
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"bin/run ignored {send}") from None
        for pid in self.servers:
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not _alive(pid), f"server {pid} survived {send}"
        assert not _listening(self.port) and not _listening(self.facilitator_port)


def test_bin_run_stops_both_servers_and_shows_the_live_balance(tmp_path: Path) -> None:
    port, facilitator_port = _free_port(), _free_port()
    first = Run(tmp_path, port, facilitator_port)
    assert "Demo data ready" in first.output()
    tokens = json.loads((tmp_path / ".demo-tokens.json").read_text())
    assert tokens["virtual_balance_usd"] == "0.20"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/support/tickets", method="POST",
        data=json.dumps({"category": "other", "subject": "From the bin/run test", "body": "Hello"}).encode(),
        headers={"Authorization": f"Bearer {tokens['agent_token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["virtual_balance_usd"] == "0.19"
    first.stop_with("SIGTERM")
    assert first.proc.returncode == 143

    second = Run(tmp_path, port, facilitator_port)
    assert "Demo data already seeded" in second.output()
    assert "virtual_balance_usd  0.19" in second.output()
    assert tokens["agent_token"] in second.output()
    second.stop_with("SIGINT")
    assert second.proc.returncode == 130
