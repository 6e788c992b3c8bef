from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def agent_models_trained() -> None:
    """Train the builtin agent's classifiers and build the cookbook index once, as a server's startup does."""
    from agent.warmup import agent_warm_up

    agent_warm_up()


@pytest.fixture(autouse=True)
def builtin_by_default(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LLM_PROVIDER = "builtin"
