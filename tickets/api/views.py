"""Customer ticket API (SPEC §4.1, §4.2). Thin: validate, call a service or selector, render TicketOut."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Scope
from accounts.permissions import paid_route, require_scope
from accounts.viewsets import ApiViewSet
from billing import idempotency
from billing.money import usd_str
from billing.paywall import to_response
from demo_sessions.models import SessionKind
from demo_sessions.selectors import session_get_for_agent
from support_project.api.pagination import paginate
from support_project.api.serializers import reject_body, validate_body, validate_query
from support_project.domain import InvalidInput, NotFound

from .. import ratings, selectors, services
from ..serializers import TicketCreatedOut, TicketOut, TicketRatedOut
from .serializers import PaymentRequiredOut, TicketCreateIn, TicketListParams, TicketPageOut, TicketRateIn

PAYMENT_INFO = {
    "protocols": ["x402"],
    "pricing": {"mode": "fixed", "currency": "USD", "amount": usd_str(settings.TICKET_PRICE_MICROS)},
    "x402": {"version": 2, "scheme": "exact", "network": settings.X402_NETWORK},
    "description": "Charged once: from the virtual balance, else an x402 payment (PAYMENT-SIGNATURE).",
}


class TicketViewSet(ApiViewSet):
    # /api/v1/support/tickets[/{ticket_id}[/close]]. Opening one is the paid route.

    lookup_url_kwarg = "ticket_id"

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create":
            return [paid_route(Scope.SUPPORT)()]
        return [require_scope(Scope.SUPPORT)()]

    @extend_schema(
        summary="List your tickets, newest first",
        operation_id="support_tickets_list",
        parameters=[OpenApiParameter("status", str, enum=["open", "pending", "resolved", "closed"]),
                    OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
        responses=TicketPageOut,
    )
    def list(self, request: Request) -> Response:
        params = validate_query(TicketListParams, request.query_params)
        page = paginate(
            selectors.ticket_list_for_agent(agent=self.agent, status=params.get("status")),
            params=request.query_params, order=("-created_at", "-number"),
            serialize=lambda rows: TicketOut(rows, many=True).data,
        )
        return Response(page)

    @extend_schema(
        summary="Open a support ticket ($0.01)",
        request=TicketCreateIn,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, description="≤255 chars; replays for 24 h"),
            OpenApiParameter("PAYMENT-SIGNATURE", str, OpenApiParameter.HEADER, description="x402 v2 PaymentPayload, base64"),
        ],
        responses={201: TicketCreatedOut,
                   402: OpenApiResponse(PaymentRequiredOut, description="PAYMENT_REQUIRED or AGENT_TOKEN_REQUIRED")},
        extensions={"x-payment-info": PAYMENT_INFO},
    )
    def create(self, request: Request) -> Response:
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        data = validate_body(TicketCreateIn, request.data)
        agent = self.agent
        source = None
        if data.get("source_session_id"):
            try:
                source = session_get_for_agent(agent=agent, session_id=data["source_session_id"], kind=SessionKind.ENRICH)
            except NotFound as exc:  # a field error: the body is what's wrong
                raise InvalidInput(details={"source_session_id": ["Must be one of your enrich (chat) sessions."]}) from exc
        stored = services.ticket_open(
            agent=agent, category=data["category"], subject=data["subject"], body=data["body"],
            source_session=source, resource_url=request.build_absolute_uri(request.path),
            payment_signature=request.headers.get("PAYMENT-SIGNATURE"), idempotency_key=key,
            fingerprint=idempotency.fingerprint(method="POST", path=request.path, body=request.data),
        )
        return to_response(stored)

    @extend_schema(summary="One of your tickets", responses=TicketOut)
    def retrieve(self, request: Request, ticket_id: str) -> Response:
        ticket = selectors.ticket_get_for_agent(agent=self.agent, ticket_id=ticket_id)
        return Response(TicketOut(ticket).data)

    @extend_schema(summary="Close your ticket", request=None, responses=TicketOut)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, ticket_id: str) -> Response:
        reject_body(request.data)
        ticket = selectors.ticket_get_for_agent(agent=self.agent, ticket_id=ticket_id)
        return Response(TicketOut(services.ticket_close_by_customer(ticket=ticket)).data)

    @extend_schema(
        summary="Rate the help on your resolved or closed ticket (once)",
        request=TicketRateIn,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="≤255 chars; replays for 24 h")],
        responses={201: TicketRatedOut,
                   409: OpenApiResponse(description="TICKET_NOT_RESOLVED (open or pending) or TICKET_ALREADY_RATED")},
    )
    @action(detail=True, methods=["post"])
    def rating(self, request: Request, ticket_id: str) -> Response:
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        ticket = selectors.ticket_get_for_agent(agent=self.agent, ticket_id=ticket_id)  # 404 before the body
        data = validate_body(TicketRateIn, request.data)
        stored = ratings.ticket_rate(
            ticket=ticket, score=data["score"], comment=data.get("comment", "").strip(), idempotency_key=key,
            fingerprint=idempotency.fingerprint(method="POST", path=request.path, body=request.data),
        )
        return to_response(stored)
