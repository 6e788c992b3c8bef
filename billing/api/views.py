"""Balance and ledger (SPEC §3.1). Admin bearers, or usage keys with `billing:read`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Agent, Scope
from accounts.permissions import paid_route, require_scope
from accounts.viewsets import ApiView
from support_project.api.pagination import paginate
from support_project.api.serializers import StrictCharField, StrictSerializer, validate_body
from support_project.domain import InvalidInput

from .. import idempotency
from ..money import parse_usd, usd_str
from ..paywall import to_response
from ..selectors import ledger_for_agent
from ..serializers import LedgerEntryOut, LedgerPageOut, TopupOut
from ..topup import topup_x402

BalanceOut = inline_serializer("Balance", {
    "agent_id": serializers.CharField(),
    "virtual_balance_usd": serializers.CharField(),
    "virtual_balance_micros": serializers.IntegerField(),
})


class BalanceView(ApiView):
    permission_classes = [require_scope(Scope.BILLING_READ)]

    @extend_schema(responses=BalanceOut, summary="The agent's virtual USD balance")
    def get(self, request: Request) -> Response:
        # Read fresh: the principal's agent row was loaded before any concurrent change.
        agent_id = self.agent.id
        balance = Agent.objects.filter(id=agent_id).values_list("balance_micros", flat=True).get()
        return Response({"agent_id": agent_id, "virtual_balance_usd": usd_str(balance),
                         "virtual_balance_micros": balance})


class LedgerView(ApiView):
    permission_classes = [require_scope(Scope.BILLING_READ)]

    @extend_schema(
        responses=LedgerPageOut, summary="Ledger entries, newest first",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
    )
    def get(self, request: Request) -> Response:
        page = paginate(
            ledger_for_agent(agent=self.agent), params=request.query_params,
            order=("-created_at", "-id"),
            serialize=lambda rows: LedgerEntryOut(rows, many=True).data,
        )
        return Response(page)


class TopupIn(StrictSerializer):
    amount_usd = StrictCharField(max_length=20, help_text='A decimal string such as "1.00" (within the configured min/max).')


class TopupView(ApiView):
    # Any agent token: paying money in can't hurt the agent. No token → 402 AGENT_TOKEN_REQUIRED.
    permission_classes = [paid_route(*Scope.values)]

    @extend_schema(
        summary="Top up the virtual balance with an x402 payment",
        request=TopupIn,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, description="≤255 chars; replays for 24 h"),
            OpenApiParameter("PAYMENT-SIGNATURE", str, OpenApiParameter.HEADER,
                             description="x402 v2 PaymentPayload for the offered amount, base64"),
        ],
        responses={201: TopupOut, 402: OpenApiResponse(description="PAYMENT_REQUIRED: the x402 offer for the amount")},
    )
    def post(self, request: Request) -> Response:
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        data = validate_body(TopupIn, request.data)
        try:
            amount = parse_usd(data["amount_usd"])
        except ValueError as exc:
            raise InvalidInput(details={"amount_usd": [f'Must be a decimal string such as "1.00": {exc}.']}) from exc
        stored = topup_x402(
            agent_id=self.agent.id, amount_micros=amount, resource_url=request.build_absolute_uri(request.path),
            payment_signature=request.headers.get("PAYMENT-SIGNATURE"), idempotency_key=key,
            fingerprint=idempotency.fingerprint(method="POST", path=request.path, body=request.data),
        )
        return to_response(stored)
