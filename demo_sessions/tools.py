"""The one tool registry (SPEC §5), served to the Enrich Agent chat and over MCP.

Each tool is a thin adapter over the services and selectors the REST routes use — same price,
validation, ownership and idempotency. Tools raise `ApiError`s; each front end turns them into
its own error shape (a chat tool result, an MCP tool error) with the same code and details.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers

from accounts.models import Agent, Scope
from accounts.principal import Principal
from support_project.api.errors import ApiError, InsufficientScope, NotFound, ValidationFailed, field_details
from support_project.api.serializers import StrictCharField, StrictSerializer, validate_body


@dataclass(frozen=True)
class ToolContext:
    principal: Principal
    # The enrich chat the tool runs in (chat turns), used as the default source session.
    chat_session_id: str | None = None
    base_url: str = "http://127.0.0.1:8000"

    @property
    def agent(self) -> Agent:
        assert self.principal.agent is not None
        return self.principal.agent


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict[str, Any]
    handler: Callable[[ToolContext, dict[str, Any]], dict[str, Any]]
    scopes: tuple[str, ...] = ()  # any of these; empty = any agent token
    read_only: bool = True
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ToolNotFound(ApiError):
    status_code, code, message = 404, "UNKNOWN_TOOL", "No such tool."


REGISTRY: dict[str, Tool] = {}


def tool(**spec: Any) -> Callable[[Callable[[ToolContext, dict[str, Any]], dict[str, Any]]], Any]:
    def register(fn: Callable[[ToolContext, dict[str, Any]], dict[str, Any]]) -> Any:
        REGISTRY[spec["name"]] = Tool(handler=fn, **spec)
        return fn

    return register


def tool_call(*, name: str, arguments: Any, context: ToolContext) -> dict[str, Any]:
    """Run one tool: scope check, argument validation, then the service. Raises ApiError."""
    found = REGISTRY.get(name)
    if found is None:
        raise ToolNotFound(f"No tool named {name!r}. Known tools: {', '.join(sorted(REGISTRY))}.")
    if context.principal.agent is None:
        raise InsufficientScope("Tools act for an agent; staff tokens can't call them.")
    if found.scopes and not context.principal.has_any_scope(*found.scopes):
        raise InsufficientScope(
            f"This usage key lacks the scope {name} needs: {' or '.join(found.scopes)}.",
            details={"required_scopes": list(found.scopes)},
        )
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ValidationFailed("Tool arguments must be a JSON object.", details={"non_field_errors": ["Expected an object."]})
    try:
        return found.handler(context, arguments)
    except drf_exceptions.ValidationError as exc:
        raise ValidationFailed("The tool arguments are invalid.", details=field_details(exc.detail)) from exc


def _ticket_brief(ticket: Any) -> dict[str, Any]:
    from tickets.selectors import ticket_public_json

    data = ticket_public_json(ticket)
    for key in ("created_at", "updated_at", "last_activity_at"):
        data[key] = data[key].isoformat()
    return data


# --- support ---------------------------------------------------------------------------------------

class _SubmitArgs(StrictSerializer):
    category = StrictCharField()
    subject = StrictCharField()
    body = StrictCharField()
    source_session_id = StrictCharField(required=False, allow_null=True)
    idempotency_key = StrictCharField(required=False, allow_null=True, max_length=255)


@tool(
    name="submit_support_request",
    title="Open a support ticket ($0.01)",
    description=(
        "Open a support ticket for the caller. Costs $0.01, charged once from the virtual balance "
        "(x402 payment otherwise). Returns the ticket id, number and the support thread to follow up in "
        "(follow-ups are free). Category: bug | billing | account | other. Subject: one line, ≤120 chars."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": ["bug", "billing", "account", "other"]},
            "subject": {"type": "string", "minLength": 1, "maxLength": 120, "description": "One line, ≤120 characters"},
            "body": {"type": "string", "minLength": 1, "maxLength": 20000,
                     "description": "What happened, what you expected, steps to reproduce"},
            "source_session_id": {"type": ["string", "null"], "description": "Your enrich chat session (32 hex)"},
            "idempotency_key": {"type": ["string", "null"], "maxLength": 255,
                                "description": "Retry-safe key: the same key and arguments never charge twice"},
        },
        "required": ["category", "subject", "body"],
        "additionalProperties": False,
    },
    scopes=(Scope.SUPPORT,),
    read_only=False,
)
def submit_support_request(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from billing import idempotency
    from demo_sessions.models import SessionKind
    from demo_sessions.selectors import session_get_for_agent
    from tickets.api.serializers import TicketCreateIn
    from tickets.services import ticket_open

    validate_body(_SubmitArgs, args)  # unknown arguments and wrong types first
    key = idempotency.clean_key(args.get("idempotency_key"))
    payload = {k: v for k, v in args.items() if k != "idempotency_key"}
    if payload.get("source_session_id") is None and ctx.chat_session_id:
        payload["source_session_id"] = ctx.chat_session_id
    payload = {k: v for k, v in payload.items() if v is not None}
    data = validate_body(TicketCreateIn, payload)
    source = None
    if data.get("source_session_id"):
        try:
            source = session_get_for_agent(agent=ctx.agent, session_id=data["source_session_id"], kind=SessionKind.ENRICH)
        except NotFound as exc:
            raise ValidationFailed(details={"source_session_id": ["Must be one of your enrich (chat) sessions."]}) from exc
    stored = ticket_open(
        agent=ctx.agent, category=data["category"], subject=data["subject"], body=data["body"], source_session=source,
        resource_url=f"{ctx.base_url}/api/v1/support/tickets", idempotency_key=key,
        fingerprint=idempotency.fingerprint(method="POST", path="/api/v1/support/tickets", body=payload),
    )
    return {**stored.body, "replayed": stored.replayed}


@tool(
    name="list_support_tickets",
    title="List your support tickets",
    description="Your tickets, newest first (up to 25), optionally filtered by status: open | pending | resolved | closed.",
    input_schema={
        "type": "object",
        "properties": {"status": {"type": ["string", "null"], "enum": ["open", "pending", "resolved", "closed", None]}},
        "additionalProperties": False,
    },
    scopes=(Scope.SUPPORT,),
)
def list_support_tickets(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from tickets.api.serializers import TicketListParams
    from tickets.selectors import ticket_list_for_agent

    params = validate_body(TicketListParams, {k: v for k, v in args.items() if v is not None})
    rows = ticket_list_for_agent(agent=ctx.agent, status=params.get("status")).order_by("-created_at", "-number")[:25]
    return {"tickets": [_ticket_brief(t) for t in rows]}


class _TicketIdArgs(StrictSerializer):
    ticket_id = StrictCharField(max_length=40)


@tool(
    name="get_support_ticket",
    title="Read one of your tickets",
    description="One of your tickets by id (tkt_…), with its status, allowed transitions and public thread messages.",
    input_schema={"type": "object", "properties": {"ticket_id": {"type": "string"}}, "required": ["ticket_id"],
                  "additionalProperties": False},
    scopes=(Scope.SUPPORT,),
)
def get_support_ticket(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from demo_sessions.selectors import public_messages
    from tickets.selectors import ticket_get_for_agent

    data = validate_body(_TicketIdArgs, args)
    ticket = ticket_get_for_agent(agent=ctx.agent, ticket_id=data["ticket_id"])
    messages = [
        {"id": m.id, "author": m.author, "author_name": m.author_name, "text": m.text, "created_at": m.created_at.isoformat()}
        for m in public_messages(session=ticket.support_session)
    ]
    return {"ticket": _ticket_brief(ticket), "messages": messages}


class _InlineFileArgs(StrictSerializer):
    filename = serializers.CharField(max_length=255, trim_whitespace=False)
    content_type = StrictCharField(required=False, allow_blank=True, max_length=100, single_line=True)
    content_base64 = serializers.CharField()


class _AppendArgs(StrictSerializer):
    support_session_id = StrictCharField(max_length=32)
    text = StrictCharField(max_length=10_000)
    attachments = _InlineFileArgs(many=True, required=False, max_length=3)


_INLINE_KIB = settings.ATTACHMENT_INLINE_MAX_BYTES // 1024


@tool(
    name="append_support_message",
    title="Add a message to a support thread (free)",
    description="Post a follow-up in one of your support threads. Free. Reopens a pending or resolved ticket; "
                "closed tickets take no messages. May carry up to 3 small files as base64 (screenshots, logs, "
                f"CSVs), each at most {_INLINE_KIB} KiB decoded; larger files (up to 10 MiB) go through "
                "POST /api/v1/demo/sessions/{id}/attachments.",
    input_schema={
        "type": "object",
        "properties": {"support_session_id": {"type": "string", "description": "32 hex"},
                       "text": {"type": "string", "minLength": 1, "maxLength": 10000},
                       "attachments": {
                           "type": "array", "maxItems": 3,
                           "description": f"Small files only: each at most {_INLINE_KIB} KiB "
                                          f"({settings.ATTACHMENT_INLINE_MAX_BYTES} bytes) once decoded.",
                           "items": {
                               "type": "object",
                               "properties": {
                                   "filename": {"type": "string", "minLength": 1, "maxLength": 255,
                                                "description": "A plain name: no / or \\, no control characters."},
                                   "content_type": {"type": "string", "description": "e.g. image/png, text/csv"},
                                   "content_base64": {"type": "string",
                                                      "maxLength": -(-settings.ATTACHMENT_INLINE_MAX_BYTES // 3) * 4,
                                                      "description": "The file's bytes, standard base64."},
                               },
                               "required": ["filename", "content_base64"],
                               "additionalProperties": False,
                           },
                       }},
        "required": ["support_session_id", "text"],
        "additionalProperties": False,
    },
    scopes=(Scope.SUPPORT,),
    read_only=False,
)
def append_support_message(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from demo_sessions.attachments.inline import with_inline_attachments
    from demo_sessions.attachments.selectors import message_attachments_json
    from demo_sessions.models import SessionKind
    from demo_sessions.selectors import session_get_for_agent
    from demo_sessions.services import session_message_post

    data = validate_body(_AppendArgs, args)
    session = session_get_for_agent(agent=ctx.agent, session_id=data["support_session_id"], kind=SessionKind.SUPPORT)
    message = with_inline_attachments(
        session=session, items=data.get("attachments") or [],
        post=lambda ids: session_message_post(session=session, text=data["text"], attachment_ids=ids),
    )
    session.ticket.refresh_from_db()
    return {"message": {"id": message.id, "author": message.author, "text": message.text,
                        "created_at": message.created_at.isoformat(),
                        "attachments": message_attachments_json(message)},
            "support_status": session.ticket.status, "charged_usd": "0.00"}


# --- cookbook ----------------------------------------------------------------------------------------

class _SearchArgs(StrictSerializer):
    query = StrictCharField(max_length=500)


@tool(
    name="cookbook_search",
    title="Search the cookbook",
    description="Search this product's documentation recipes; returns ranked recipes with a snippet and URL.",
    input_schema={"type": "object", "properties": {"query": {"type": "string", "minLength": 1}}, "required": ["query"],
                  "additionalProperties": False},
)
def cookbook_search(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from cookbook.selectors import recipe_search

    data = validate_body(_SearchArgs, args)
    hits = recipe_search(query=data["query"])
    return {"results": [{"slug": h.slug, "title": h.title, "summary": h.summary, "score": round(h.score, 4),
                         "snippet": h.snippet, "url": h.url} for h in hits]}


class _ReadArgs(StrictSerializer):
    slug = StrictCharField(max_length=100)


@tool(
    name="cookbook_read",
    title="Read a cookbook recipe",
    description="The full Markdown of one recipe by slug (e.g. support_tickets, billing, event_callbacks, mcp).",
    input_schema={"type": "object", "properties": {"slug": {"type": "string"}}, "required": ["slug"],
                  "additionalProperties": False},
)
def cookbook_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from cookbook.selectors import recipe_read

    data = validate_body(_ReadArgs, args)
    recipe = recipe_read(slug=data["slug"])
    return {"slug": recipe.slug, "title": recipe.title, "summary": recipe.summary, "markdown": recipe.markdown,
            "url": f"/cookbook/{recipe.slug}"}


# --- billing -----------------------------------------------------------------------------------------

@tool(
    name="agents_balance",
    title="Your virtual USD balance",
    description="Your current virtual USD balance and the price of a ticket.",
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
    scopes=(Scope.BILLING_READ,),
)
def agents_balance(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    from billing.money import usd_str

    if args:
        raise ValidationFailed(details={name: ["Unknown field."] for name in args})
    balance = Agent.objects.values_list("balance_micros", flat=True).get(id=ctx.agent.id)
    return {"agent_id": ctx.agent.id, "virtual_balance_usd": usd_str(balance),
            "ticket_price_usd": usd_str(settings.TICKET_PRICE_MICROS)}


def tool_error_payload(exc: ApiError) -> dict[str, Any]:
    """The SPEC §1 envelope of an error, for chat tool results and MCP tool errors."""
    return {"code": exc.code, "message": exc.message, "details": exc.details, **exc.extra}
