"""Token format: prefix + 43 random base62 characters; only a SHA-256 digest is ever stored."""

from __future__ import annotations

import hashlib
import hmac
import re

from support_project.ids import random_base62

from .models import TokenKind

PREFIXES: dict[str, str] = {TokenKind.ADMIN: "411_", TokenKind.USAGE: "411k_", TokenKind.STAFF: "411s_"}
RANDOM_LENGTH = 43  # ≈ 256 bits of entropy
_FORMAT = re.compile(r"^(411_|411k_|411s_)([0-9A-Za-z]{40,64})$")


def generate(kind: str) -> str:
    return PREFIXES[kind] + random_base62(RANDOM_LENGTH)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The prefix plus the first 6 random characters, e.g. "411k_AbC123": enough to tell keys apart."""
    head, _, rest = token.partition("_")
    return f"{head}_{rest[:6]}"


def well_formed(token: str) -> bool:
    return bool(_FORMAT.match(token))


def kind_of(token: str) -> str | None:
    match = _FORMAT.match(token)
    if not match:
        return None
    return {v: k for k, v in PREFIXES.items()}[match.group(1)]


def digests_match(stored: str, presented_digest: str) -> bool:
    return hmac.compare_digest(stored.encode(), presented_digest.encode())
