"""Money in response shapes: integer micro-USD in, the SPEC's `"0.01"` decimal string out."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .money import usd_str


class UsdField(serializers.CharField):
    """Read-only: an integer micro-USD attribute rendered as a USD decimal string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return usd_str(value)
