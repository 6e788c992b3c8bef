"""Who has a ticket open in the inbox, or is typing a reply (ephemeral: the cache, with a TTL).

Pages send a heartbeat every HEARTBEAT_SECONDS; an entry not renewed within TTL_SECONDS is gone.
Each beat is also broadcast on `live.presence` to the staff streams watching that ticket. Two
beats racing on the same ticket can drop one entry until its next beat: acceptable for a hint.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.core.cache import cache

from .notify import CHANNEL_PRESENCE, notify

HEARTBEAT_SECONDS = 10
TTL_SECONDS = 30
STATES = ("viewing", "typing", "left")

logger = logging.getLogger(__name__)


def _key(ticket_number: int) -> str:
    return f"live:presence:{ticket_number}"


def _current(ticket_number: int) -> dict[str, dict[str, Any]]:
    try:
        entries = cache.get(_key(ticket_number)) or {}
    except Exception:  # noqa: BLE001 - presence is a hint: a cache outage shows nobody
        return {}
    now = time.time()
    return {user: entry for user, entry in entries.items() if entry.get("expires", 0) > now}


def presence_beat(*, ticket_number: int, username: str, name: str, state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown presence state {state!r}")
    entries = _current(ticket_number)
    if state == "left":
        entries.pop(username, None)
    else:
        entries[username] = {"name": name, "state": state, "expires": time.time() + TTL_SECONDS}
    try:
        cache.set(_key(ticket_number), entries, TTL_SECONDS)
    except Exception:  # noqa: BLE001 - still broadcast: open pages learn of it
        logger.warning("presence not stored (cache down?)", exc_info=True)
    notify(CHANNEL_PRESENCE, json.dumps({"ticket": ticket_number, "user": username, "name": name, "state": state}))


def presence_list(*, ticket_number: int) -> list[dict[str, Any]]:
    """Everyone present on a ticket now: [{"ticket", "user", "name", "state"}]."""
    return [{"ticket": ticket_number, "user": user, "name": entry["name"], "state": entry["state"]}
            for user, entry in sorted(_current(ticket_number).items())]
