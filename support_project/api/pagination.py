"""Keyset (cursor) pagination: `?limit=` 1–100 (default 25), `?cursor=`, stable under inserts.

Lists order by two columns (a timestamp or sequence, then the unique id) in one direction; the
cursor is the last row's pair, so a page is one indexed range scan whatever the table size.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from support_project.domain import InvalidInput

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def parse_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidInput("limit must be an integer from 1 to 100.", details={"limit": ["Must be 1–100."]})
    return value


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, first_is_datetime: bool) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError
        if first_is_datetime:
            values[0] = datetime.fromisoformat(values[0])
        return values
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidInput("cursor is invalid.", details={"cursor": ["Invalid cursor."]}) from exc


def paginate(
    queryset: QuerySet,
    *,
    params: Any,
    order: tuple[str, str],
    serialize: Callable[[list[Any]], Any],
    first_is_datetime: bool = True,
) -> dict[str, Any]:
    """One page of `queryset` ordered by `order` (e.g. ("-last_activity_at", "-id")).

    Runs exactly one query (plus whatever `serialize` does in bulk). `serialize` gets the rows.
    """
    limit = parse_limit(params.get("limit"))
    descending = order[0].startswith("-")
    f1, f2 = order[0].lstrip("-"), order[1].lstrip("-")
    cursor = params.get("cursor")
    if cursor:
        v1, v2 = _decode(cursor, first_is_datetime)
        # "(f1, f2) after (v1, v2)" as a range on f1 plus an exclusion, not an OR: PostgreSQL then
        # walks the (f1, f2) index from the cursor, so a deep page costs what the first one does.
        inclusive, not_past = ("lte", "gte") if descending else ("gte", "lte")
        queryset = queryset.filter(**{f"{f1}__{inclusive}": v1}).exclude(Q(**{f1: v1, f"{f2}__{not_past}": v2}))
    rows = list(queryset.order_by(*order)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode([getattr(rows[-1], f1), getattr(rows[-1], f2)]) if has_more and rows else None
    return {"results": serialize(rows), "next_cursor": next_cursor}
