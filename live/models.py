"""The durable, ordered source behind the live streams (SPEC §10).

One row per announced change, written in the changing transaction (so only committed changes
exist), read by position `(txid, seq)` (commit-order safe, see support_project/txid.py). The
row says who may see it: the owning agent's streams (`customer`, narrowed by `topic` to the
token's scopes) and/or the staff stream (`staff`). `data` is what customers see; `staff_data`
adds what only staff see (internal flags, assignee, counters).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from support_project.txid import CurrentTxid


class Kind(models.TextChoices):
    MESSAGE = "message"
    TICKET = "ticket"
    BALANCE = "balance"


class Topic(models.TextChoices):
    SUPPORT = "support"  # support threads and tickets: the `support` scope
    CHAT = "chat"  # enrich chats: the `chat` scope
    ACCOUNT = "account"  # the agent's balance: any token of the agent (as GET /agents/me)


class LiveEvent(models.Model):
    seq = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(db_default=CurrentTxid())
    kind = models.CharField(max_length=16, choices=Kind.choices)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=32, blank=True, default="")
    ticket_number = models.BigIntegerField(null=True, blank=True)
    customer = models.BooleanField()
    staff = models.BooleanField()
    data = models.JSONField()
    staff_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["txid", "seq"], name="live_position_idx"),
            models.Index(fields=["agent", "txid", "seq"], condition=Q(customer=True), name="live_agent_position_idx"),
            models.Index(fields=["created_at"], name="live_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="live_kind_valid"),
            models.CheckConstraint(condition=Q(topic__in=Topic.values), name="live_topic_valid"),
            models.CheckConstraint(condition=Q(customer=True) | Q(staff=True), name="live_has_an_audience"),
        ]

    def __str__(self) -> str:
        return f"{self.txid}-{self.seq} {self.kind}"
