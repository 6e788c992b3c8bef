"""Opaque public ids (SPEC §1): `<prefix>_<22 base62>`; sessions are 32 lowercase hex."""

from __future__ import annotations

import secrets
import uuid

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def random_base62(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_base62(22)}"


def new_session_id() -> str:
    return uuid.uuid4().hex
