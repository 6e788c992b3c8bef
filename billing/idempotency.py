"""`Idempotency-Key` for creating POSTs (SPEC §3.4), keyed per agent, kept 24 h.

Only successful responses are stored: a 4xx (validation, 402) leaves no record, so a client can
fix the cause — top up, or add a PAYMENT-SIGNATURE — and retry with the same key.

Two ways to claim a key:
- `claim_in_transaction` inside the work's own transaction (the balance path): a concurrent
  duplicate's INSERT waits on the unique index until we commit, then sees our stored response and
  replays it — every answer identical, one piece of work.
- `claim_committed` before work that calls out (an x402 settle): the claim is visible at once,
  so a duplicate gets `409 IDEMPOTENCY_IN_PROGRESS` instead of paying twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from support_project.domain import Conflict, InvalidInput, Unprocessable

from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255


class KeyReused(Unprocessable):
    code = "IDEMPOTENCY_KEY_REUSED"
    message = "This Idempotency-Key was used with a different request body."


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def fingerprint(*, method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def clean_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 1–255 printable characters.",
            details={"Idempotency-Key": ["Must be 1–255 printable characters."]},
        )
    return key


def _in_progress() -> Conflict:
    return Conflict("IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still being processed; retry shortly.")


def _owner(agent_id: str | None, staff_user_id: int | None) -> tuple[str, str | int]:
    """(column, value) of the key's owner: an agent, or a staff user on /api/admin/ routes."""
    if (agent_id is None) == (staff_user_id is None):
        raise ValueError("an idempotency key belongs to exactly one agent or staff user")
    return ("agent_id", agent_id) if agent_id is not None else ("staff_user_id", staff_user_id)  # type: ignore[return-value]


def _fresh_since() -> Any:
    return timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)


def _existing(*, agent_id: str | None, key: str, fp: str, staff_user_id: int | None = None) -> StoredResponse | None:
    column, owner = _owner(agent_id, staff_user_id)
    record = IdempotencyRecord.objects.filter(**{column: owner}, key=key).first()
    if record is None:
        return None
    if record.created_at < _fresh_since():
        # Expired but not yet purged: free the key and let this request be new.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return None
    if record.fingerprint != fp:
        raise KeyReused()
    if record.state != IdempotencyRecord.State.DONE:
        raise _in_progress()
    return StoredResponse(record.response_status or 200, record.response_body, dict(record.response_headers), True)


def _insert_claim(*, agent_id: str | None, key: str, fp: str, staff_user_id: int | None = None) -> bool:
    table = IdempotencyRecord._meta.db_table
    column, owner = _owner(agent_id, staff_user_id)  # a column name of ours, never input
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({column}, key, fingerprint, state, response_headers, created_at) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ({column}, key) DO NOTHING RETURNING id",
            [owner, key, fp, IdempotencyRecord.State.IN_PROGRESS, "{}", timezone.now()],
        )
        return cursor.fetchone() is not None


def claim_in_transaction(*, agent_id: str | None, key: str, fp: str,
                         staff_user_id: int | None = None) -> StoredResponse | None:
    """Claim inside the caller's atomic block. None: we own it. Otherwise the response to replay."""
    if _insert_claim(agent_id=agent_id, key=key, fp=fp, staff_user_id=staff_user_id):
        return None
    existing = _existing(agent_id=agent_id, key=key, fp=fp, staff_user_id=staff_user_id)
    if existing is None:  # an expired record was just removed
        if _insert_claim(agent_id=agent_id, key=key, fp=fp, staff_user_id=staff_user_id):
            return None
        raise _in_progress()
    return existing


def claim_committed(*, agent_id: str | None, key: str, fp: str,
                    staff_user_id: int | None = None) -> StoredResponse | None:
    with transaction.atomic():
        return claim_in_transaction(agent_id=agent_id, key=key, fp=fp, staff_user_id=staff_user_id)


def release(*, agent_id: str | None, key: str, staff_user_id: int | None = None) -> None:
    column, owner = _owner(agent_id, staff_user_id)
    IdempotencyRecord.objects.filter(
        **{column: owner}, key=key, state=IdempotencyRecord.State.IN_PROGRESS
    ).delete()


def store(*, agent_id: str | None, key: str, response: StoredResponse, staff_user_id: int | None = None) -> None:
    """Record the finished response, in the same transaction as the work."""
    column, owner = _owner(agent_id, staff_user_id)
    body = json.loads(json.dumps(response.body, cls=DjangoJSONEncoder))
    IdempotencyRecord.objects.filter(**{column: owner}, key=key).update(
        state=IdempotencyRecord.State.DONE, response_status=response.status,
        response_body=body, response_headers=response.headers,
    )


def purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=_fresh_since()).delete()
    return deleted


def run_once(*, agent_id: str, key: str, fp: str, work: Callable[[], StoredResponse]) -> StoredResponse:
    """Idempotency for work that isn't one transaction (a chat turn calls a model and opens its own
    transactions): claim the key visibly first, run, store the success; release it on failure."""
    replay = claim_committed(agent_id=agent_id, key=key, fp=fp)
    if replay is not None:
        return replay
    try:
        response = work()
    except BaseException:
        release(agent_id=agent_id, key=key)
        raise
    store(agent_id=agent_id, key=key, response=response)
    return response
