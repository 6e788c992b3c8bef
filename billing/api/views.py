"""Balance and ledger (SPEC §3.1). Admin bearers, or usage keys with `billing:read`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Agent, Scope
from accounts.permissions import require_scope
from accounts.viewsets import ApiView
from support_project.api.pagination import paginate

from ..selectors import ledger_for_agent
from ..serializers import BalanceOut, LedgerEntryOut, LedgerPageOut


class BalanceView(ApiView):
    permission_classes = [require_scope(Scope.BILLING_READ)]

    @extend_schema(responses=BalanceOut, summary="The agent's virtual USD balance")
    def get(self, request: Request) -> Response:
        # Read fresh: the principal's agent row was loaded before any concurrent change.
        agent = Agent.objects.only("id", "balance_micros").get(id=self.agent.id)
        return Response(BalanceOut(agent).data)


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
