"""Identity endpoints (SPEC §2). Thin: parse, call a service or selector, shape the JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.viewsets import ApiView, ApiViewSet
from billing.money import usd_str
from support_project.api.serializers import reject_body, validate_body
from support_project.domain import InvalidInput, NotFound

from .. import selectors, services
from ..permissions import IsAdminBearer, IsAgent
from .serializers import (
    MeOut,
    MintIn,
    MintOut,
    TokenOut,
    UsageKeyCreatedOut,
    UsageKeyCreateIn,
    UsageKeyOut,
    UsageKeyPageOut,
)


def _refuse_idempotency_key(request: Request) -> None:
    # Replaying would mean storing a plaintext token: routes that mint secrets don't take the header.
    if request.headers.get("Idempotency-Key"):
        raise InvalidInput(
            "Routes that return a new secret don't accept Idempotency-Key (we never store secrets).",
            details={"Idempotency-Key": ["Not accepted on this route."]},
        )


class MeView(ApiView):
    permission_classes = [IsAgent]

    @extend_schema(responses=MeOut, summary="The calling agent and token")
    def get(self, request: Request) -> Response:
        principal, agent = self.principal, self.agent
        return Response({
            "agent_id": agent.id, "name": agent.name, "token_kind": principal.kind,
            "token_prefix": principal.prefix, "scopes": sorted(principal.effective_scopes),
            "virtual_balance_usd": usd_str(agent.balance_micros), "created_at": agent.created_at,
        })


class TokenRotateView(ApiView):
    permission_classes = [IsAdminBearer]

    @extend_schema(request=None, responses=TokenOut, summary="Rotate the admin bearer (the old one stops working)")
    def post(self, request: Request) -> Response:
        _refuse_idempotency_key(request)
        reject_body(request.data)
        token = services.admin_token_rotate(agent=self.agent, presented_token_id=self.principal.token_id)
        return Response({"token": token})


class UsageKeyViewSet(ApiViewSet):
    # /api/v1/agents/usage-keys[/{key_id}]: the admin bearer manages its agent's usage keys.

    permission_classes = [IsAdminBearer]
    lookup_url_kwarg = "key_id"

    @extend_schema(responses=UsageKeyPageOut, summary="List active usage keys",
                   operation_id="api_v1_agents_usage_keys_retrieve")
    def list(self, request: Request) -> Response:
        keys = selectors.usage_key_list(agent=self.agent).order_by("-created_at", "-id")
        return Response({"results": UsageKeyOut(keys, many=True).data, "next_cursor": None})

    @extend_schema(request=UsageKeyCreateIn, responses={201: UsageKeyCreatedOut}, summary="Create a usage key")
    def create(self, request: Request) -> Response:
        _refuse_idempotency_key(request)
        data = validate_body(UsageKeyCreateIn, request.data)
        key, token = services.usage_key_create(agent=self.agent, label=data["label"], scopes=data["scopes"])
        return Response(UsageKeyCreatedOut(key, context={"token": token}).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Revoke a usage key")
    def destroy(self, request: Request, key_id: str) -> Response:
        key = selectors.usage_key_get(agent=self.agent, key_id=key_id)
        services.token_revoke(token=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MintView(APIView):
    """Self-service agents, only where AGENT_SELF_MINT is on (the local default)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(request=MintIn, responses={201: MintOut}, summary="Mint a new agent (when enabled)")
    def post(self, request: Request) -> Response:
        if not settings.AGENT_SELF_MINT:
            raise NotFound("Self-service agent minting is disabled on this deployment.")
        _refuse_idempotency_key(request)
        data = validate_body(MintIn, request.data if request.data is not None else {})
        agent, token = services.agent_create(name=data["name"])
        return Response(
            {"agent_id": agent.id, "name": agent.name, "token": token,
             "virtual_balance_usd": usd_str(agent.balance_micros)},
            status=status.HTTP_201_CREATED,
        )
