"""The virtual-USD ledger, x402 payments and idempotency records (SPEC §3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Agent
from support_project.ids import new_id


def _ledger_id() -> str:
    return new_id("led")


def _payment_id() -> str:
    return new_id("pay")


class LedgerKind(models.TextChoices):
    GRANT = "grant"
    TICKET_CHARGE = "ticket_charge"
    X402_PAYMENT = "x402_payment"
    X402_TOPUP = "x402_topup"  # POST /api/v1/agents/topup: credit bought with an x402 payment
    BUG_BOUNTY = "bug_bounty"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class LedgerEntry(models.Model):
    """Append-only: never updated or deleted; corrections are new entries."""

    id = models.CharField(primary_key=True, max_length=40, default=_ledger_id, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    amount_micros = models.BigIntegerField()
    balance_after_micros = models.BigIntegerField()
    # What this entry is for (a ticket id, a payment id, …): one entry per (kind, reference).
    reference = models.CharField(max_length=120)
    memo = models.CharField(max_length=255, blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="ledger_kind_reference_unique"),
            models.CheckConstraint(condition=~Q(amount_micros=0), name="ledger_amount_non_zero"),
            models.CheckConstraint(condition=Q(balance_after_micros__gte=0), name="ledger_balance_after_non_negative"),
            models.CheckConstraint(condition=Q(kind__in=LedgerKind.values), name="ledger_kind_valid"),
        ]
        indexes = [models.Index(fields=["agent", "-created_at", "-id"], name="ledger_agent_recent_idx")]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_micros:+d}µ$ → {self.agent_id}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise RuntimeError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("Ledger entries are append-only.")


class PaymentStatus(models.TextChoices):
    RESERVED = "reserved"  # nonce claimed, not yet verified
    SETTLED = "settled"  # settled on chain, not yet booked
    BOOKED = "booked"  # x402_payment credited and the work done
    FAILED = "failed"  # verify or settle refused it; the nonce stays burnt
    UNKNOWN = "unknown"  # settle outcome unknown: x402_reconcile resolves it


class X402Payment(models.Model):
    """One presented x402 payment, reserved by (network, asset, payer, nonce) before any work."""

    id = models.CharField(primary_key=True, max_length=40, default=_payment_id, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="x402_payments")
    network = models.CharField(max_length=64)
    asset = models.CharField(max_length=64)
    payer = models.CharField(max_length=64)
    nonce = models.CharField(max_length=80)
    pay_to = models.CharField(max_length=64)
    amount_atomic = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.RESERVED)
    # The request this payment was presented for (e.g. the ticket id it pays for).
    resource_reference = models.CharField(max_length=120, blank=True, default="")
    transaction = models.CharField(max_length=100, blank=True, default="")
    error = models.CharField(max_length=255, blank=True, default="")
    payload = models.JSONField(default=dict)
    requirements = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "asset", "payer", "nonce"], name="x402_payment_nonce_unique"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="x402_payment_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="x402_payment_status_idx")]

    def __str__(self) -> str:
        return f"{self.id} {self.status} {self.payer}"


class IdempotencyRecord(models.Model):
    """The first successful response to (agent, Idempotency-Key), replayed for 24 h (SPEC §3.4)."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    # The key's owner: an agent (customer routes) or a staff user (/api/admin/ routes), never both.
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+", null=True)
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "key"], name="idempotency_agent_key_unique"),
            models.UniqueConstraint(fields=["staff_user", "key"], name="idempotency_staff_key_unique"),
            models.CheckConstraint(
                condition=Q(agent__isnull=False, staff_user__isnull=True) | Q(agent__isnull=True, staff_user__isnull=False),
                name="idempotency_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.agent_id or f'staff:{self.staff_user_id}'}:{self.key} ({self.state})"
