from __future__ import annotations

from rest_framework import serializers

from billing.serializers import UsdField
from support_project.api.serializers import StrictCharField, StrictSerializer

from ..models import Agent, ApiToken, Scope
from ..principal import Principal


class UsageKeyCreateIn(StrictSerializer):
    label = StrictCharField(single_line=True, max_length=120, allow_blank=True, required=False,  # type: ignore[assignment]
                            default="")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.values), min_length=1, max_length=3)


class MintIn(StrictSerializer):
    name = StrictCharField(single_line=True, max_length=120, required=False, default="Demo agent")


class UsageKeyOut(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the stubs' Field.label clashes with our field name
    scopes = serializers.ListField(child=serializers.CharField())
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()


class UsageKeyPageOut(serializers.Serializer):
    results = UsageKeyOut(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class UsageKeyCreatedOut(UsageKeyOut):
    # The new key and its plaintext token (`context["token"]`, shown once).

    token = serializers.SerializerMethodField()

    def get_token(self, key: ApiToken) -> str:
        return str(self.context["token"])


class MeOut(serializers.Serializer):
    # Reads the caller's Principal.
    agent_id = serializers.CharField(source="agent.id")
    name = serializers.CharField(source="agent.name")
    token_kind = serializers.CharField(source="kind")
    token_prefix = serializers.CharField(source="prefix")
    scopes = serializers.SerializerMethodField()
    virtual_balance_usd = UsdField(source="agent.balance_micros", read_only=False)
    created_at = serializers.DateTimeField(source="agent.created_at")

    def get_scopes(self, principal: Principal) -> list[str]:
        return sorted(principal.effective_scopes)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class MintOut(serializers.Serializer):
    # Reads the new Agent; its admin bearer comes in `context["token"]` (shown once).
    agent_id = serializers.CharField(source="id")
    name = serializers.CharField()
    token = serializers.SerializerMethodField()
    virtual_balance_usd = UsdField(source="balance_micros", read_only=False)

    def get_token(self, agent: Agent) -> str:
        return str(self.context["token"])
