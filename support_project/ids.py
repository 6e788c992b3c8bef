"""Opaque public ids (SPEC §1): `<prefix>_<22 base62>`; sessions are 32 lowercase hex."""

from __future__ import annotations

import secrets
import uuid

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def random_base62(length: int) -> str:
    """`length` characters drawn uniformly from BASE62 by the OS CSPRNG, from one read of random bytes
    (`secrets.choice` per character costs a system call each: 5 % of a ticket create's CPU). A byte
    below 248 = 4 × 62 maps to `byte % 62` uniformly; the few bytes ≥ 248 are skipped."""
    out: list[str] = []
    while len(out) < length:
        out.extend(BASE62[b % 62] for b in secrets.token_bytes(length + 8) if b < 248)
    return "".join(out[:length])


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_base62(22)}"


def new_session_id() -> str:
    return uuid.uuid4().hex
