"""`manage.py mcp_serve --transport stdio --token 411_…`: the MCP tools for one local client.

stdout is the protocol channel and nothing else; logs and errors go to stderr. The token is fixed
for the process: checked once at start (a bad one exits non-zero), then re-checked on every call
so a revoked token stops working at once. For HTTP, serve `support_project.asgi:application`
(the tools are at /mcp); `--transport streamable-http` does that with uvicorn for convenience.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import anyio
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from accounts.models import TokenKind
from accounts.selectors import principal_for_token

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Serve the MCP tools over stdio (for local MCP clients) or streamable HTTP."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
        parser.add_argument("--token", default=os.environ.get("MCP_TOKEN", ""),
                            help="stdio: the agent token the tools act for (411_… or 411k_…; default $MCP_TOKEN)")
        parser.add_argument("--host", default="127.0.0.1", help="streamable-http: bind address")
        parser.add_argument("--port", type=int, default=8000, help="streamable-http: port")

    def handle(self, *args: Any, **options: Any) -> None:
        # stdout belongs to the protocol: route this command's own output to stderr.
        self.stdout = self.stderr
        if options["transport"] == "streamable-http":
            self._serve_http(options["host"], options["port"])
            return
        token = (options["token"] or "").strip()
        if not token:
            raise CommandError("--token is required for --transport stdio (an admin bearer 411_… or a usage key 411k_…).")
        principal = principal_for_token(raw_token=token)
        connections.close_all()
        if principal is None:
            raise CommandError("--token is unknown, revoked or malformed.")
        if principal.kind == TokenKind.STAFF or principal.agent is None:
            raise CommandError("--token is a staff token; MCP tools act for an agent: use 411_… or 411k_….")
        logger.info("MCP stdio server for agent %s (%s token %s…)", principal.agent.id, principal.kind, principal.prefix)

        anyio.run(_serve_stdio, token)

    def _serve_http(self, host: str, port: int) -> None:
        import uvicorn

        uvicorn.run("support_project.asgi:application", host=host, port=port, lifespan="on", log_config=None)


async def _serve_stdio(token: str) -> None:
    from agent.mcp.server import serve_stdio

    await serve_stdio(token=token)
