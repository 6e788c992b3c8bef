"""Agents (the customer accounts) and every bearer token: admin bearers, usage keys, staff tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from support_project.ids import new_id


def _agent_id() -> str:
    return new_id("agt")


def _token_id() -> str:
    return new_id("key")


class Agent(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=_agent_id, editable=False)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    # A cached projection of the ledger: changes only in billing.services, with its entry.
    balance_micros = models.BigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance_micros__gte=0), name="agent_balance_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class TokenKind(models.TextChoices):
    ADMIN = "admin", "Admin bearer (411_)"
    USAGE = "usage", "Usage key (411k_)"
    STAFF = "staff", "Staff token (411s_)"


class Scope(models.TextChoices):
    SUPPORT = "support", "support"
    CHAT = "chat", "chat"
    BILLING_READ = "billing:read", "billing:read"


class ApiToken(models.Model):
    """A bearer token, stored only as its SHA-256 digest plus a short display prefix."""

    id = models.CharField(primary_key=True, max_length=40, default=_token_id, editable=False)
    kind = models.CharField(max_length=8, choices=TokenKind.choices)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="staff_tokens"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    label = models.CharField(max_length=120, blank=True, default="")
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agent", "kind", "created_at"], name="token_agent_kind_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="staff", agent__isnull=True, user__isnull=False)
                           | (~Q(kind="staff") & Q(agent__isnull=False, user__isnull=True))),
                name="token_owner_matches_kind",
            ),
            models.CheckConstraint(condition=Q(kind__in=TokenKind.values), name="token_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_kind_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
