"""The provider interface and the values passed between a provider and the turn service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call as the transcript stores it: exactly one of `result` / `error` is set."""

    name: str
    arguments: Any
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, "result": self.result, "error": self.error}


# A provider calls tools only through this: the turn service validates, runs and records them.
ToolRunner = Callable[[str, Any], ToolOutcome]


@dataclass(frozen=True)
class HistoryItem:
    author: str
    text: str


@dataclass(frozen=True)
class TurnInput:
    message: str
    history: tuple[HistoryItem, ...]  # earlier public messages of the chat, oldest first
    session_id: str
    tool_names: tuple[str, ...]  # the tools this token may call
    state: dict[str, Any] = field(default_factory=dict)  # the session's agent_state (conversation state)


@dataclass
class ProviderReply:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None  # the new conversation state (None: unchanged)
    mirror: str = ""  # a note for operators, posted in the chat's ticket thread as triage_bot


class ProviderError(Exception):
    """The model could not produce a turn. `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message)


class ChatProvider(Protocol):
    @property
    def name(self) -> str: ...

    def run_turn(self, *, turn: TurnInput, run_tool: ToolRunner) -> ProviderReply:
        """Answer one user message, calling tools through `run_tool`. Raises ProviderError."""
        ...
