"""Demo sessions — enrich chats and support threads (SPEC §4.2) — and their messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agent
from support_project.ids import new_id, new_session_id


def _message_id() -> str:
    return new_id("msg")


class SessionKind(models.TextChoices):
    ENRICH = "enrich"
    SUPPORT = "support"


class Author(models.TextChoices):
    USER = "user"
    ASSISTANT = "assistant"
    OPERATOR = "operator"
    TRIAGE_BOT = "triage_bot"
    SYSTEM = "system"


PREVIEW_LENGTH = 140


class DemoSession(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_session_id, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="demo_sessions")
    session_kind = models.CharField(max_length=8, choices=SessionKind.choices)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Denormalised so the sidebar list is one query whatever its length.
    last_message_preview = models.CharField(max_length=PREVIEW_LENGTH, blank=True, default="")
    # The Enrich Agent's conversation state for an enrich chat: the chat's language, the ticket draft
    # (text, category), what it is waiting for (details, a yes, the answer to "Does this answer your
    # question?") and the ticket opened here. Lives in the database, never in process memory.
    agent_state = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent", "session_kind", "-last_activity_at", "-id"], name="session_agent_recent_idx"),
            models.Index(fields=["agent", "-last_activity_at", "-id"], name="session_agent_activity_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(session_kind__in=SessionKind.values), name="session_kind_valid"),
            models.CheckConstraint(condition=Q(id__regex=r"^[0-9a-f]{32}$"), name="session_id_32_hex"),
        ]

    def __str__(self) -> str:
        return f"{self.session_kind} {self.id} — {self.title}"


class Message(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=_message_id, editable=False)
    session = models.ForeignKey(DemoSession, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=12, choices=Author.choices)
    # Operators' notes only staff see: never in customer APIs, /demo or webhooks.
    internal = models.BooleanField(default=False)
    author_name = models.CharField(max_length=150, blank=True, default="")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Tool calls and results of an Enrich Agent turn, links, etc.
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["session", "created_at", "id"], name="message_session_time_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(author__in=Author.values), name="message_author_valid"),
            models.CheckConstraint(condition=Q(internal=False) | Q(author="operator"), name="message_internal_only_operator"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


def preview_of(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


def _attachment_id() -> str:
    return new_id("att")


class Uploader(models.TextChoices):
    CUSTOMER = "customer"
    STAFF = "staff"


class Attachment(models.Model):
    """A file in a support thread (SPEC §10). The bytes live in the `attachments` storage under
    `storage_key`; this row is their only index. Uploaded first, then claimed by one message;
    unclaimed rows (and their objects) are purged after a day."""

    id = models.CharField(primary_key=True, max_length=40, default=_attachment_id, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="attachments")
    session = models.ForeignKey(DemoSession, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300, unique=True)
    uploader = models.CharField(max_length=8, choices=Uploader.choices)
    # The operator who uploaded it (staff uploads); kept as a name-less link, like an assignee.
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]  # a message's files in upload order
        indexes = [
            models.Index(fields=["session", "created_at"], name="attachment_session_time_idx"),
            models.Index(fields=["created_at"], condition=Q(message__isnull=True), name="attachment_unattached_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(id__startswith="att_"), name="attachment_id_prefix"),
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_size_positive"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="attachment_sha256_hex"),
            models.CheckConstraint(condition=Q(uploader__in=Uploader.values), name="attachment_uploader_valid"),
            models.CheckConstraint(condition=Q(uploader="staff") | Q(staff_user__isnull=True),
                                   name="attachment_customer_has_no_staff_user"),
            models.CheckConstraint(condition=~Q(filename=""), name="attachment_filename_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.filename} ({self.size} B)"

    @property
    def is_inline_image(self) -> bool:
        """A raster image staff may see as a thumbnail (never SVG)."""
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}
