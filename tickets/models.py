"""Support tickets (SPEC §4, §6)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import Agent
from demo_sessions.models import DemoSession
from support_project.ids import new_id


def _ticket_id() -> str:
    return new_id("tkt")


class TicketStatus(models.TextChoices):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Category(models.TextChoices):
    BUG = "bug"
    BILLING = "billing"
    ACCOUNT = "account"
    OTHER = "other"


class Priority(models.TextChoices):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class BountyStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review"  # a bug awaiting an operator's decision
    CONFIRMED = "confirmed"  # confirmed; the credit task is queued
    AWARDED = "awarded"  # credited (exactly once)
    REJECTED = "rejected"


class Ticket(models.Model):
    # The human number (1, 2, 3…) is the primary key's sequence: no extra query to allocate it.
    # A rolled-back create leaves a gap, as in most helpdesks.
    number = models.BigAutoField(primary_key=True)
    public_id = models.CharField(max_length=40, unique=True, default=_ticket_id, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tickets")
    category = models.CharField(max_length=8, choices=Category.choices)
    subject = models.CharField(max_length=120)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    support_session = models.OneToOneField(DemoSession, on_delete=models.PROTECT, related_name="ticket")
    source_session = models.ForeignKey(
        DemoSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="opened_tickets"
    )
    charged_micros = models.BigIntegerField(default=0)
    payment_method = models.CharField(max_length=16, default="virtual_balance")
    bounty_status = models.CharField(max_length=16, choices=BountyStatus.choices, null=True, blank=True)  # noqa: DJ001 - null = not eligible
    bounty_note = models.TextField(blank=True, default="")
    bounty_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bounty_decided_at = models.DateTimeField(null=True, blank=True)
    # True while the last public message is the customer's: the inbox's "needs reply" marker.
    awaiting_operator = models.BooleanField(default=True)
    # Since when the customer has been waiting (their oldest unanswered public message): set when
    # `awaiting_operator` turns true, cleared when it turns false. The "Needs reply" view's order.
    awaiting_since = models.DateTimeField(null=True, blank=True, default=timezone.now, db_default=Now())
    message_count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    # The customer's rating of the help received (SPEC §10): set once, on a resolved or closed ticket.
    rating_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True, default="")
    rated_at = models.DateTimeField(null=True, blank=True)
    # Staff full-text search over subject, body and every thread message (internal notes too).
    # PostgreSQL keeps it current with triggers (migration 0002): code never writes it. NULL on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "-created_at", "-number"], name="ticket_agent_recent_idx"),
            models.Index(fields=["agent", "status", "-created_at", "-number"], name="ticket_agent_status_idx"),
            models.Index(fields=["-last_activity_at", "-number"], name="ticket_activity_idx"),
            models.Index(fields=["status", "-last_activity_at", "-number"], name="ticket_status_activity_idx"),
            GinIndex(fields=["search_vector"], name="ticket_search_gin"),
            # "Needs reply", oldest wait first: a small partial index (only waiting tickets).
            models.Index(fields=["awaiting_since", "number"], condition=Q(awaiting_operator=True),
                         name="ticket_needs_reply_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="ticket_category_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(
                condition=Q(bounty_status__isnull=True) | Q(category="bug"), name="ticket_bounty_only_bugs"
            ),
            models.CheckConstraint(
                condition=Q(awaiting_operator=False) | Q(awaiting_since__isnull=False), name="ticket_awaiting_has_since"
            ),
            models.CheckConstraint(
                condition=Q(rating_score__isnull=True) | Q(rating_score__gte=1, rating_score__lte=5, rated_at__isnull=False),
                name="ticket_rating_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"


# --- The operator inbox's saved replies and saved views ----------------------------------------------


class SavedReply(models.Model):
    """A canned answer any operator can insert from the reply box (placeholders: see tickets.replies)."""

    title = models.CharField(max_length=80, unique=True)
    body = models.TextField(max_length=10_000)
    # Inserting the reply also proposes this status for the ticket (blank: the default rule).
    set_status = models.CharField(max_length=8, choices=TicketStatus.choices, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("title",)
        verbose_name_plural = "saved replies"
        constraints = [
            models.CheckConstraint(condition=Q(set_status="") | Q(set_status__in=TicketStatus.values),
                                   name="saved_reply_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """One operator's named inbox filter (view, status, category, assignee, search)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_inbox_views")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=600)  # the inbox's own query string, already validated
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_user_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"
