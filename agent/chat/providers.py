"""Choosing the chat provider: the interface lives in base.py, the providers import it."""

from __future__ import annotations

from django.conf import settings

from .base import ChatProvider
from .builtin import BuiltinProvider
from .openai_compat import OpenAICompatibleProvider


def provider_get(name: str | None = None) -> ChatProvider:
    """The provider `settings.LLM_PROVIDER` names (`builtin` | `openai`); unknown names fail loudly."""
    chosen = (name or settings.LLM_PROVIDER or "builtin").strip().lower()
    if chosen == "builtin":
        return BuiltinProvider()
    if chosen == "openai":
        return OpenAICompatibleProvider.from_settings()
    raise ValueError(f"LLM_PROVIDER must be 'builtin' or 'openai', not {chosen!r}")
