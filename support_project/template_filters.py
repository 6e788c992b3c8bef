"""Template filters available in every template (registered as a builtin in settings.TEMPLATES)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from .rendering import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """`{{ message.text|markdown }}`: untrusted Markdown rendered and sanitised (rendering.py)."""
    return mark_safe(render_markdown(text or ""))  # noqa: S308 - sanitised by nh3 in render_markdown
