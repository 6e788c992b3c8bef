from __future__ import annotations

from rest_framework import serializers

from support_project.api.serializers import StrictCharField, StrictSerializer

from ..models import ApiToken, Scope


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
    agent_id = serializers.CharField()
    name = serializers.CharField()
    token_kind = serializers.CharField()
    token_prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    virtual_balance_usd = serializers.CharField()
    created_at = serializers.DateTimeField()


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class MintOut(serializers.Serializer):
    agent_id = serializers.CharField()
    name = serializers.CharField()
    token = serializers.CharField()
    virtual_balance_usd = serializers.CharField()
