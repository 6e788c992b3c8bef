"""The one tool registry (SPEC §5), served to the Enrich Agent chat and over MCP.

Each tool is a thin adapter over the services and selectors the REST routes use — same price,
validation, ownership and idempotency. Tools raise `DomainError`s; each front end turns them into
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
from billing import idempotency
from billing.money import usd_str
from cookbook.retrieval import recipe_search
from cookbook.selectors import recipe_read
from demo_sessions.attachments.inline import MAX_INLINE_FILES, with_inline_attachments
from demo_sessions.models import SessionKind
from demo_sessions.selectors import public_messages, session_get_for_agent
from demo_sessions.serializers import MessageOut
from demo_sessions.services import session_message_post
from support_project.api.errors import error_body, field_details
from support_project.api.serializers import StrictCharField, StrictSerializer, validate_body
from support_project.domain import DomainError, Forbidden, InvalidInput, NotFound
from tickets.api.serializers import TicketCreateIn
from tickets.models import TicketStatus
from tickets.selectors import ticket_get_for_agent, ticket_list_for_agent
from tickets.serializers import TicketOut
from tickets.services import ticket_close_by_customer, ticket_open, ticket_resolve_by_customer


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
    args: type[serializers.Serializer]  # the arguments, validated strictly; input_schema derives from it
    handler: Callable[[ToolContext, dict[str, Any]], dict[str, Any]]
    scopes: tuple[str, ...] = ()  # any of these; empty = any agent token
    read_only: bool = True
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_schema(self) -> dict[str, Any]:
        return input_schema_of(self.args)


def _field_schema(f: serializers.Field) -> dict[str, Any]:
    schema: dict[str, Any]
    if isinstance(f, serializers.ChoiceField):
        schema = {"type": "string", "enum": list(f.choices)}
    elif isinstance(f, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(f, serializers.IntegerField):
        schema = {"type": "integer"}
        schema.update({k: v for k, v in (("minimum", f.min_value), ("maximum", f.max_value)) if v is not None})
    elif isinstance(f, serializers.ListField):
        schema = {"type": "array", "items": _field_schema(f.child)}
    elif isinstance(f, serializers.ListSerializer):  # a list of objects: `Args(many=True)`
        assert isinstance(f.child, serializers.Serializer)
        schema = {"type": "array", "items": input_schema_of(type(f.child))}
        max_items = getattr(f, "max_length", None)  # DRF ≥ 3.15 has it; the stubs don't yet
        if max_items is not None:
            schema["maxItems"] = max_items
    elif isinstance(f, serializers.CharField):
        schema = {"type": "string"}
        if not f.allow_blank:
            schema["minLength"] = max(1, f.min_length or 1)
        if f.max_length is not None:
            schema["maxLength"] = f.max_length
    else:
        raise TypeError(f"no JSON schema mapping for {type(f).__name__}")
    if f.allow_null:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    if f.help_text:
        schema["description"] = str(f.help_text)
    return schema


def input_schema_of(args: type[serializers.Serializer]) -> dict[str, Any]:
    """The JSON schema (MCP `inputSchema`, OpenAI `parameters`) of a tool's argument serializer."""
    fields = args().fields
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: _field_schema(f) for name, f in fields.items()},
        "additionalProperties": False,
    }
    required = [name for name, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    return schema


class ToolNotFound(NotFound):
    code, message = "UNKNOWN_TOOL", "No such tool."


REGISTRY: dict[str, Tool] = {}


def tool(**spec: Any) -> Callable[[Callable[[ToolContext, dict[str, Any]], dict[str, Any]]], Any]:
    def register(fn: Callable[[ToolContext, dict[str, Any]], dict[str, Any]]) -> Any:
        REGISTRY[spec["name"]] = Tool(handler=fn, **spec)
        return fn

    return register


def tool_call(*, name: str, arguments: Any, context: ToolContext) -> dict[str, Any]:
    """Run one tool: scope check, argument validation, then the service. Raises DomainError."""
    found = REGISTRY.get(name)
    if found is None:
        raise ToolNotFound(f"No tool named {name!r}. Known tools: {', '.join(sorted(REGISTRY))}.")
    if context.principal.agent is None:
        raise Forbidden("Tools act for an agent; staff tokens can't call them.")
    if found.scopes and not context.principal.has_any_scope(*found.scopes):
        raise Forbidden(
            f"This usage key lacks the scope {name} needs: {' or '.join(found.scopes)}.",
            details={"required_scopes": list(found.scopes)},
        )
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise InvalidInput("Tool arguments must be a JSON object.", details={"non_field_errors": ["Expected an object."]})
    try:
        data = validate_body(found.args, arguments)  # unknown arguments and wrong types first
        return found.handler(context, data)
    except drf_exceptions.ValidationError as exc:
        raise InvalidInput("The tool arguments are invalid.", details=field_details(exc.detail)) from exc


# --- support ---------------------------------------------------------------------------------------

class SubmitArgs(TicketCreateIn):
    idempotency_key = StrictCharField(required=False, allow_null=True, max_length=255,
                                      help_text="Retry-safe key: the same key and arguments never charge twice")


@tool(
    name="submit_support_request",
    title="Open a support ticket ($0.01)",
    description=(
        "Open a support ticket for the caller. Costs $0.01, charged once from the virtual balance "
        "(x402 payment otherwise). Returns the ticket id, number and the support thread to follow up in "
        "(follow-ups are free). Category: bug | billing | account | other. Subject: one line, ≤120 chars."
    ),
    args=SubmitArgs,
    scopes=(Scope.SUPPORT,),
    read_only=False,
)
def submit_support_request(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
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
            raise InvalidInput(details={"source_session_id": ["Must be one of your enrich (chat) sessions."]}) from exc
    stored = ticket_open(
        agent=ctx.agent, category=data["category"], subject=data["subject"], body=data["body"], source_session=source,
        resource_url=f"{ctx.base_url}/api/v1/support/tickets", idempotency_key=key,
        fingerprint=idempotency.fingerprint(method="POST", path="/api/v1/support/tickets", body=payload),
    )
    return {**stored.body, "replayed": stored.replayed}


class ListArgs(StrictSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.values, required=False, allow_null=True)


@tool(
    name="list_support_tickets",
    title="List your support tickets",
    description="Your tickets, newest first (up to 25), optionally filtered by status: open | pending | resolved | closed.",
    args=ListArgs,
    scopes=(Scope.SUPPORT,),
)
def list_support_tickets(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    rows = ticket_list_for_agent(agent=ctx.agent, status=args.get("status")).order_by("-created_at", "-number")[:25]
    return {"tickets": TicketOut(rows, many=True).data}


class TicketIdArgs(StrictSerializer):
    ticket_id = StrictCharField(max_length=40, help_text="tkt_…")


@tool(
    name="get_support_ticket",
    title="Read one of your tickets",
    description="One of your tickets by id (tkt_…), with its status, allowed transitions and public thread messages.",
    args=TicketIdArgs,
    scopes=(Scope.SUPPORT,),
)
def get_support_ticket(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    ticket = ticket_get_for_agent(agent=ctx.agent, ticket_id=args["ticket_id"])
    messages = MessageOut(public_messages(session=ticket.support_session), many=True).data
    return {"ticket": TicketOut(ticket).data, "messages": messages}


_INLINE_MAX = settings.ATTACHMENT_INLINE_MAX_BYTES


class InlineFileArgs(StrictSerializer):
    filename = serializers.CharField(max_length=255, trim_whitespace=False,
                                     help_text="A plain name: no / or \\, no control characters.")
    content_type = StrictCharField(required=False, allow_blank=True, max_length=100, single_line=True,
                                   help_text="e.g. image/png, text/csv; kept only if allow-listed")
    # No max_length here: an oversize file is the same 413 PAYLOAD_TOO_LARGE as an oversize upload.
    content_base64 = serializers.CharField(help_text=f"The file's bytes, standard base64; at most {_INLINE_MAX} "
                                                     "bytes once decoded.")


class AppendArgs(StrictSerializer):
    support_session_id = StrictCharField(max_length=32, help_text="32 hex")
    text = StrictCharField(max_length=10_000)
    attachments = InlineFileArgs(  # type: ignore[call-arg]  # `max_length` goes to the ListSerializer
        many=True, required=False, max_length=MAX_INLINE_FILES,
        help_text=f"Small files only: at most {MAX_INLINE_FILES}, each at most {_INLINE_MAX // 1024} KiB "
                  f"({_INLINE_MAX} bytes) once decoded. Larger files (up to 10 MiB): "
                  "POST /api/v1/demo/sessions/{id}/attachments.",
    )


@tool(
    name="append_support_message",
    title="Add a message to a support thread (free)",
    description="Post a follow-up in one of your support threads. Free. Reopens a pending or resolved ticket; "
                "closed tickets take no messages. May carry up to 3 small files (screenshots, logs, CSVs) as "
                f"base64, each at most {_INLINE_MAX // 1024} KiB decoded.",
    args=AppendArgs,
    scopes=(Scope.SUPPORT,),
    read_only=False,
)
def append_support_message(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    session = session_get_for_agent(agent=ctx.agent, session_id=args["support_session_id"], kind=SessionKind.SUPPORT)
    message = with_inline_attachments(
        session=session, items=args.get("attachments") or [],
        post=lambda ids: session_message_post(session=session, text=args["text"], attachment_ids=ids),
    )
    session.ticket.refresh_from_db()
    return {"message": MessageOut(message).data, "support_status": session.ticket.status, "charged_usd": "0.00"}


@tool(
    name="close_support_ticket",
    title="Close one of your tickets",
    description="Close one of your tickets (tkt_…), as POST /api/v1/support/tickets/{id}/close does. Free. "
                "A closed ticket takes no new messages.",
    args=TicketIdArgs,
    scopes=(Scope.SUPPORT,),
    read_only=False,
)
def close_support_ticket(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    ticket = ticket_get_for_agent(agent=ctx.agent, ticket_id=args["ticket_id"])
    return {"ticket": TicketOut(ticket_close_by_customer(ticket=ticket)).data}


@tool(
    name="resolve_support_ticket",
    title="Mark one of your tickets resolved (the answer solved it)",
    description="Say the answer solved it: an open or pending ticket (tkt_…) becomes resolved by the customer, "
                "with a note in its thread. Free. Writing in the thread later reopens it.",
    args=TicketIdArgs,
    scopes=(Scope.SUPPORT,),
    read_only=False,
)
def resolve_support_ticket(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    ticket = ticket_get_for_agent(agent=ctx.agent, ticket_id=args["ticket_id"])
    return {"ticket": TicketOut(ticket_resolve_by_customer(ticket=ticket)).data}


# --- cookbook ----------------------------------------------------------------------------------------

class SearchArgs(StrictSerializer):
    query = StrictCharField(max_length=500)


@tool(
    name="cookbook_search",
    title="Search the cookbook",
    description="Search this product's documentation recipes; returns ranked recipes with a snippet and URL.",
    args=SearchArgs,
)
def cookbook_search(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    hits = recipe_search(query=args["query"])
    return {"results": [{"slug": h.slug, "title": h.title, "summary": h.summary, "score": round(h.score, 4),
                         "snippet": h.snippet, "url": h.url} for h in hits]}


class ReadArgs(StrictSerializer):
    slug = StrictCharField(max_length=100)


@tool(
    name="cookbook_read",
    title="Read a cookbook recipe",
    description="The full Markdown of one recipe by slug (e.g. support_tickets, billing, event_callbacks, mcp).",
    args=ReadArgs,
)
def cookbook_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    recipe = recipe_read(slug=args["slug"])
    return {"slug": recipe.slug, "title": recipe.title, "summary": recipe.summary, "markdown": recipe.markdown,
            "url": f"/cookbook/{recipe.slug}"}


# --- billing -----------------------------------------------------------------------------------------

class NoArgs(StrictSerializer):
    """A tool that takes no arguments: `{}` (anything else is an unknown field)."""


@tool(
    name="agents_balance",
    title="Your virtual USD balance",
    description="Your current virtual USD balance and the price of a ticket.",
    args=NoArgs,
    scopes=(Scope.BILLING_READ,),
)
def agents_balance(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    balance = Agent.objects.values_list("balance_micros", flat=True).get(id=ctx.agent.id)
    return {"agent_id": ctx.agent.id, "virtual_balance_usd": usd_str(balance),
            "ticket_price_usd": usd_str(settings.TICKET_PRICE_MICROS)}


def tool_error_payload(exc: DomainError) -> dict[str, Any]:
    """The SPEC §1 envelope of an error, for chat tool results and MCP tool errors (the REST mapping)."""
    return error_body(exc)
