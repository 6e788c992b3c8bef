"""`manage.py mcp_serve --transport stdio --token …` as a real subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from mcp import Client, StdioServerParameters

from accounts.models import ApiToken
from agent.tools import REGISTRY
from tests.conftest import make_agent

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(settings.BASE_DIR)


def _child_env() -> dict[str, str]:
    """The test database (pytest-django's, not the configured name) for the child process."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    env = {"DJANGO_SETTINGS_MODULE": "support_project.settings", "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "SECRET_KEY"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def _serve(token: str) -> list[str]:
    return ["manage.py", "mcp_serve", "--transport", "stdio", "--token", token]


def test_stdio_lists_the_tools_and_reads_a_recipe() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the child process needs a database it can share with the test")
    agent = make_agent("Local client")
    params = StdioServerParameters(command=sys.executable, args=_serve(agent.token), cwd=str(BASE_DIR), env=_child_env())

    def revoke() -> None:
        ApiToken.objects.filter(agent=agent.agent).update(revoked_at=timezone.now())
        connections.close_all()

    async def main() -> tuple[Any, Any, Any, Any]:
        async with Client(params) as client:
            tools = await client.list_tools()
            recipe = await client.call_tool("cookbook_read", {"slug": "mcp"})
            balance = await client.call_tool("agents_balance", {})
            await anyio.to_thread.run_sync(revoke)
            revoked = await client.call_tool("agents_balance", {})
            return tools, recipe, balance, revoked

    tools, recipe, balance, revoked = anyio.run(main)
    assert sorted(t.name for t in tools.tools) == sorted(REGISTRY)
    assert recipe.is_error is False
    assert recipe.structured_content["slug"] == "mcp"
    assert "Authorization: Bearer" in recipe.structured_content["markdown"]
    assert balance.structured_content["virtual_balance_usd"] == "0.20"
    assert balance.structured_content["agent_id"] == agent.agent.id
    assert revoked.is_error is True  # the token is re-checked on every call: revocation is immediate
    assert revoked.structured_content["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize(("token", "reason"), [
    ("411_" + "z" * 43, "unknown, revoked or malformed"),
    ("", "--token is required"),
])
def test_stdio_refuses_a_bad_token_at_start(token: str, reason: str) -> None:
    done = subprocess.run([sys.executable, *_serve(token)], cwd=BASE_DIR, env={**os.environ, **_child_env()},
                          input="", capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stdout == ""
    assert reason in done.stderr


def test_stdio_refuses_a_staff_token(staff: Any) -> None:
    done = subprocess.run([sys.executable, *_serve(staff.token)], cwd=BASE_DIR, env={**os.environ, **_child_env()},
                          input="", capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "staff token" in done.stderr
