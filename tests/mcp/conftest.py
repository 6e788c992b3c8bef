"""A real uvicorn serving `support_project.asgi:application` on a free loopback port, and helpers
that drive it with the MCP SDK's own client (streamable HTTP) or with raw HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.asgi_server import serve_asgi

T = TypeVar("T")


@pytest.fixture(scope="session")
def mcp_base_url(django_db_setup: Any) -> Iterator[str]:
    """http://127.0.0.1:<port> with Django and /mcp behind it (lifespan on, as in production)."""
    with serve_asgi(lifespan="on") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def mcp_url(mcp_base_url: str) -> str:
    return f"{mcp_base_url}/mcp"


def with_client(url: str, token: str | None, fn: Callable[[Client], Awaitable[T]], *, mode: str = "auto") -> T:
    """Open the SDK client against `url` with `Authorization: Bearer <token>` and run `fn(client)`."""

    async def main() -> T:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
                return await fn(client)

    return anyio.run(main)


def call(url: str, token: str, name: str, arguments: dict[str, Any] | None = None, *, mode: str = "auto") -> Any:
    """One tool call; returns the SDK's CallToolResult."""

    async def go(client: Client) -> Any:
        return await client.call_tool(name, arguments or {})

    return with_client(url, token, go, mode=mode)
