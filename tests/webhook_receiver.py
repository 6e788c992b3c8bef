"""A real HTTP receiver on 127.0.0.1 for webhook tests: scriptable answers, every request recorded.

    with WebhookReceiver() as rx:
        rx.script(Reply(500), Reply(500), Reply(200))   # then the default: 200
        ... deliver to rx.url("/hook") ...
        rx.wait_for(3)
        rx.requests[0].headers["webhook-id"], rx.requests[0].body

Actions: `Reply(status, body, headers, delay)`, `Hang(seconds)` (read the request, never answer),
`Stream(total_bytes)` (200 with an endless-looking body), `Drop()` (close without answering).
`stop()` closes the listening socket (connections are refused) and `start()` reopens it on the
same port.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Hang:
    seconds: float = 30.0


@dataclass(frozen=True)
class Stream:
    total_bytes: int = 10 * 1024 * 1024
    chunk: int = 8192


@dataclass(frozen=True)
class Drop:
    pass


Action = Reply | Hang | Stream | Drop


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver = self.server.receiver
        receiver._record(Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                  body, time.monotonic()))
        action = receiver._next_action()
        try:
            self._act(action, receiver)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout or size cap): exactly what some tests want

    do_GET = do_POST  # noqa: N815

    def _act(self, action: Action, receiver: WebhookReceiver) -> None:
        if isinstance(action, Drop):
            self.close_connection = True
            self.connection.close()
            return
        if isinstance(action, Hang):
            receiver._stopping.wait(action.seconds)
            self.close_connection = True
            return
        if isinstance(action, Stream):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(action.total_bytes))
            self.end_headers()
            sent = 0
            while sent < action.total_bytes and not receiver._stopping.is_set():
                size = min(action.chunk, action.total_bytes - sent)
                self.wfile.write(b"x" * size)
                sent += size
                receiver.bytes_streamed = sent
            return
        if action.delay:
            receiver._stopping.wait(action.delay)
        self.send_response(action.status)
        for name, value in action.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(action.body)))
        self.end_headers()
        self.wfile.write(action.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: WebhookReceiver


class WebhookReceiver:
    def __init__(self, default: Action | None = None) -> None:
        self.default: Action = default or Reply(200)
        self.requests: list[Received] = []
        self.bytes_streamed = 0
        self.port = 0
        self._actions: deque[Action] = deque()
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---
    def start(self) -> WebhookReceiver:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting and inspection ---
    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def script(self, *actions: Action) -> None:
        with self._lock:
            self._actions.extend(actions)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} requests within {timeout} s, got {len(self.requests)}")
            return list(self.requests)

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)
            self._lock.notify_all()

    def _next_action(self) -> Action:
        with self._lock:
            return self._actions.popleft() if self._actions else self.default
