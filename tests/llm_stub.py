"""A loopback stand-in for an OpenAI-compatible chat-completions server, for tests.

A real HTTP server on 127.0.0.1 (free port, one thread per request) that answers
`POST /v1/chat/completions` from a script of canned responses, in order, and records every request
it received so tests can assert what the provider sent (tools, messages, model, auth header).

    with LLMStub() as stub:
        stub.script(tool_call_response("cookbook_search", {"query": "x"}), text_response("done"))
        ... settings.LLM_BASE_URL = stub.base_url ...
        stub.requests[0]["body"]["tools"]
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    hang_seconds: float = 0.0  # sleep before answering (timeouts); cut short when the stub stops
    content_type: str = "application/json"


def completion(message: dict[str, Any], *, finish_reason: str = "stop") -> Reply:
    body = {
        "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "stub-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return Reply(body=json.dumps(body).encode())


def text_response(text: str) -> Reply:
    return completion({"role": "assistant", "content": text})


def tool_call_response(*calls: tuple[str, Any], content: str | None = None) -> Reply:
    """One assistant message asking for tool calls: (name, arguments) — arguments dict or raw string."""
    tool_calls = [
        {"id": f"call_{i}", "type": "function",
         "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
        for i, (name, args) in enumerate(calls, start=1)
    ]
    return completion({"role": "assistant", "content": content, "tool_calls": tool_calls}, finish_reason="tool_calls")


def hang(seconds: float) -> Reply:
    return Reply(hang_seconds=seconds, body=text_response("too late").body)


def garbage() -> Reply:
    return Reply(body=b"<html>502 Bad Gateway</html> not json", content_type="text/html")


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, body=json.dumps({"error": {"message": "upstream overloaded"}}).encode())


class LLMStub:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logging
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with stub._lock:
                    stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    reply = stub._script.popleft() if stub._script else server_error(599)
                if reply.hang_seconds:
                    stub._stopping.wait(reply.hang_seconds)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="llm-stub", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def unused(self) -> int:
        with self._lock:
            return len(self._script)

    def start(self) -> LLMStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LLMStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
