"""Personas (after healthchecks' Alice/Bob/Charlie): agent A owns things, agent B is the outsider
whose ids must never open A's data, a staff operator, and an anonymous caller.

Every fixture goes through the real services, never around them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import Agent
from accounts.services import agent_create, staff_token_create, usage_key_create


def pytest_configure(config: Any) -> None:
    # Attachments written by tests go to a throw-away folder, never the project's var/attachments.
    import tempfile

    settings.STORAGES["attachments"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                        "OPTIONS": {"location": tempfile.mkdtemp(prefix="test-attachments-")}}
    # On CI the suite must run against the real services; a missing one is a failure, not a skip.
    if os.environ.get("REQUIRE_SERVICES") == "1":
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
        if not settings.REDIS_URL:
            raise pytest.UsageError("REQUIRE_SERVICES=1 but REDIS_URL is not set")


@dataclass
class AgentPersona:
    agent: Agent
    token: str
    client: APIClient

    def refresh(self) -> Agent:
        self.agent.refresh_from_db()
        return self.agent

    @property
    def balance_micros(self) -> int:
        return Agent.objects.values_list("balance_micros", flat=True).get(id=self.agent.id)


@dataclass
class StaffPersona:
    user: Any
    token: str
    client: APIClient


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def make_agent(name: str = "Agent", grant_micros: int = 200_000) -> AgentPersona:
    agent, token = agent_create(name=name, grant_micros=grant_micros)
    return AgentPersona(agent=agent, token=token, client=bearer_client(token))


@pytest.fixture
def agent_a(db: Any) -> AgentPersona:
    return make_agent("Alice's agent")


@pytest.fixture
def agent_b(db: Any) -> AgentPersona:
    return make_agent("Bob's agent")


@pytest.fixture
def broke_agent(db: Any) -> AgentPersona:
    return make_agent("Broke agent", grant_micros=0)


@pytest.fixture
def usage_key(agent_a: AgentPersona):  # type: ignore[no-untyped-def]
    """usage_key(["support"]) → an APIClient holding a usage key of agent A with those scopes."""

    def make(scopes: list[str], label: str = "test key") -> APIClient:
        _, token = usage_key_create(agent=agent_a.agent, label=label, scopes=scopes)
        return bearer_client(token)

    return make


@pytest.fixture
def staff(db: Any, django_user_model: Any) -> StaffPersona:
    user = django_user_model.objects.create_user(username="olivia", password="pw-olivia-1", is_staff=True,
                                                 first_name="Olivia", last_name="Operator")
    _, token = staff_token_create(user=user)
    return StaffPersona(user=user, token=token, client=bearer_client(token))


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
