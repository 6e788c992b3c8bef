"""A small blocking SSE client for tests: reads `id:`/`event:`/`data:` frames with a read timeout."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str
    data: Any


class SseStream:
    def __init__(self, url: str, headers: dict[str, str] | None = None, *, read_timeout: float = 8.0) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(10.0, read=read_timeout))
        self.response = self.client.send(self.client.build_request("GET", url, headers=headers or {}), stream=True)
        self._lines = self.response.iter_lines()
        self.comments = 0

    @property
    def status_code(self) -> int:
        return self.response.status_code

    def json(self) -> Any:
        self.response.read()
        return self.response.json()

    def next(self, *, within: float | None = None) -> SseEvent | None:
        """The next event, blocking up to the read timeout (httpx.ReadTimeout). With `within`,
        None when no event completed in that many seconds (keep-alive comments keep lines coming)."""
        deadline = None if within is None else time.monotonic() + within
        event_id: str | None = None
        name, data = "message", []
        for line in self._lines:
            if deadline is not None and time.monotonic() > deadline and not data:
                return None
            if line == "":
                if data:
                    return SseEvent(id=event_id, event=name, data=json.loads("\n".join(data)))
                event_id, name, data = None, "message", []
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                event_id = value
            elif field == "event":
                name = value
            elif field == "data":
                data.append(value)
        raise EOFError("the stream ended")

    def take(self, count: int, *, kinds: tuple[str, ...] | None = None) -> list[SseEvent]:
        out: list[SseEvent] = []
        while len(out) < count:
            event = self.next()
            assert event is not None
            if kinds is None or event.event in kinds:
                out.append(event)
        return out

    def close(self) -> None:
        self.response.close()
        self.client.close()

    def __enter__(self) -> SseStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
