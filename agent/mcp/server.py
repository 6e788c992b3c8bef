"""The MCP server: every tool of `agent.tools.REGISTRY`, nothing else.

A thin adapter. `tools/list` is generated from the registry (name, title, description, the
registry's JSON schema verbatim, annotations); `tools/call` runs `tool_call` for the calling
principal on a worker thread and turns its result, or its `DomainError`, into a `CallToolResult`
with `structuredContent` plus the same JSON as a text block. Errors carry `tool_error_payload`.

Who is calling: over HTTP, `http.BearerAuth` resolves the token and sets `current_principal`
(a contextvar the SDK carries into the handler); over stdio, the server holds a fixed token and
re-resolves it on every call, so a revoked token stops working at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import mcp.types as types
from asgiref.sync import sync_to_async
from django.db import connections
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from rest_framework.exceptions import ValidationError as DrfValidationError

from accounts.principal import Principal
from accounts.selectors import principal_for_token
from agent.tools import REGISTRY, Tool, ToolContext, tool_call, tool_error_payload
from support_project.api.errors import field_details
from support_project.domain import DomainError, InvalidInput

logger = logging.getLogger(__name__)

SERVER_NAME = "411data-support"
SERVER_TITLE = "411data support desk"
INSTRUCTIONS = (
    "Support desk tools for 411data agents: open a support ticket ($0.01 from the virtual balance, "
    "follow-ups free), read and follow up on your tickets, search and read the cookbook, check your balance. "
    "Pass an idempotency_key to submit_support_request so a retried call never opens (or pays for) a second ticket."
)


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one MCP request (set by the HTTP auth layer)."""

    principal: Principal
    base_url: str


current_caller: ContextVar[Caller | None] = ContextVar("mcp_current_caller", default=None)

T = TypeVar("T")


async def run_in_db_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run sync Django code on a worker thread and close that thread's DB connections afterwards.

    MCP requests bypass Django's request_started/finished signals, so nothing else would close
    them: every pool thread would keep its own connection open forever.
    """

    def job() -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return await sync_to_async(job, thread_sensitive=False)()


# --- tools/list ----------------------------------------------------------------------------------

def tool_annotations(tool: Tool) -> types.ToolAnnotations:
    idempotent = bool(tool.extra.get("idempotent", tool.read_only))
    return types.ToolAnnotations(
        title=tool.title or None,
        read_only_hint=tool.read_only,
        destructive_hint=False,
        idempotent_hint=True if idempotent else None,
        open_world_hint=False,
    )


def mcp_tool(tool: Tool) -> types.Tool:
    description = tool.description
    if tool.scopes:
        description += f" Requires an admin bearer or a usage key with scope: {' or '.join(tool.scopes)}."
    return types.Tool(
        name=tool.name,
        title=tool.title or None,
        description=description,
        input_schema=tool.input_schema,
        annotations=tool_annotations(tool),
    )


def mcp_tools() -> list[types.Tool]:
    return [mcp_tool(tool) for tool in REGISTRY.values()]


# --- tools/call ----------------------------------------------------------------------------------

def _as_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, default=str)


def tool_result(payload: dict[str, Any], *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=_as_json(payload))],
        structured_content=payload,
        is_error=is_error,
    )


def call_tool_sync(*, name: str, arguments: dict[str, Any] | None, principal: Principal, base_url: str) -> types.CallToolResult:
    """One tool call, in a worker thread: the registry does scopes, validation and the work."""
    try:
        result = tool_call(name=name, arguments=arguments, context=ToolContext(principal=principal, base_url=base_url))
    except DomainError as exc:
        return tool_result(tool_error_payload(exc), is_error=True)
    except DrfValidationError as exc:  # the registry's argument serializers raise DRF's error
        failed = InvalidInput("The tool arguments are invalid.", details=field_details(exc.detail))
        return tool_result(tool_error_payload(failed), is_error=True)
    except Exception:
        logger.exception("MCP tool %s failed", name)
        return tool_result({"code": "INTERNAL_ERROR", "message": "Something went wrong on our side; it has been logged.",
                            "details": {}}, is_error=True)
    return tool_result(result)


def _unauthenticated() -> types.CallToolResult:
    return tool_result({"code": "AUTHENTICATION_REQUIRED", "message": "No agent token came with this call.",
                        "details": {}}, is_error=True)


def _stdio_call(token: str, name: str, arguments: dict[str, Any] | None, base_url: str) -> types.CallToolResult:
    principal = principal_for_token(raw_token=token)
    if principal is None:
        return tool_result({"code": "INVALID_TOKEN", "message": "The --token is unknown, revoked or malformed.",
                            "details": {}}, is_error=True)
    return call_tool_sync(name=name, arguments=arguments, principal=principal, base_url=base_url)


def build_server(*, fixed_token: str | None = None, base_url: str = "http://127.0.0.1:8000") -> Server[Any]:
    """A fresh MCP server (one per transport instance: an HTTP session manager runs only once).

    `fixed_token` is for stdio: every call acts for that token. Over HTTP leave it None and let
    `http.BearerAuth` set `current_caller` per request.
    """

    async def on_list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=mcp_tools())

    async def on_call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        caller = current_caller.get()
        if caller is not None:
            return await run_in_db_thread(call_tool_sync, name=params.name, arguments=params.arguments,
                                          principal=caller.principal, base_url=caller.base_url)
        if fixed_token is not None:
            return await run_in_db_thread(_stdio_call, fixed_token, params.name, params.arguments, base_url)
        return _unauthenticated()

    def input_schema_of(name: str) -> dict[str, Any] | None:
        found = REGISTRY.get(name)
        return found.input_schema if found else None

    return Server(
        SERVER_NAME,
        version="1",
        title=SERVER_TITLE,
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        get_tool_input_schema=input_schema_of,
    )


async def serve_stdio(*, token: str) -> None:
    """Serve the tools over stdin/stdout for one local client, acting for `token`."""
    from mcp.server.stdio import stdio_server

    server = build_server(fixed_token=token)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
