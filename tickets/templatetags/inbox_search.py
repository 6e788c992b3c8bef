"""`{{ text|search_highlight }}`: a search hit's marked text as escaped HTML with <mark>s."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..search_highlight import highlight_html

register = template.Library()


@register.filter
def search_highlight(text: str | None) -> SafeString:
    return highlight_html(text)


@register.filter
def search_snippet(text: str | None) -> SafeString:
    """Empty unless something in the snippet matched (a hit by number or id has no snippet)."""
    return highlight_html(text, only_if_matched=True)
