from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.llm_stub import LLMStub


@pytest.fixture
def llm_stub(settings: Any) -> Iterator[LLMStub]:
    """A real chat-completions server on loopback, wired in as the `openai` provider."""
    with LLMStub() as stub:
        settings.LLM_PROVIDER = "openai"
        settings.LLM_BASE_URL = stub.base_url
        settings.LLM_API_KEY = "sk-test-key"
        settings.LLM_MODEL = "stub-model"
        settings.LLM_TIMEOUT_SECONDS = 1.0
        settings.LLM_MAX_TOOL_ROUNDS = 3
        yield stub


@pytest.fixture(scope="session", autouse=True)
def agent_models_trained() -> None:
    """Train the builtin agent's classifiers and build the cookbook index once, as a server's startup does."""
    from agent.warmup import agent_warm_up

    agent_warm_up()


@pytest.fixture(autouse=True)
def builtin_by_default(settings: Any) -> None:
    settings.LLM_PROVIDER = "builtin"
