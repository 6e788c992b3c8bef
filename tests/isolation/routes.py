"""Every JSON API route, read from the URL confs (not hand-picked), with the methods its view serves
(an APIView's handler methods, or a ViewSet route's method → action map)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    template: str  # "/api/v1/support/tickets/{ticket_id}" (OpenAPI spelling)
    params: tuple[str, ...]
    methods: tuple[str, ...]  # upper case

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("/api/admin/")

    def urls(self, ids: dict[str, list[str]]) -> Iterator[str]:
        """The route filled with every combination of the given ids; KeyError for an unknown parameter."""
        missing = [p for p in self.params if not ids.get(p)]
        if missing:
            raise KeyError(f"{self.template}: no ids for path parameter(s) {missing} — add them to the matrix")
        for combo in product(*(ids[p] for p in self.params)):
            url = self.template
            for name, value in zip(self.params, combo, strict=True):
                url = url.replace("{" + name + "}", value)
            yield url


def _walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def api_routes() -> list[Route]:
    routes = []
    for raw, callback in _walk(get_resolver().url_patterns, "/"):
        if not raw.startswith("/api/") or raw.startswith("/api/docs"):
            continue
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is None:
            raise AssertionError(f"{raw}: a function view under /api/ — the matrix can't see its methods")
        actions = getattr(callback, "actions", None)  # a ViewSet route: {method: action}
        if actions is not None:
            methods = tuple(m.upper() for m in HTTP_METHODS if m in actions)
        else:
            methods = tuple(m.upper() for m in HTTP_METHODS if callable(getattr(view_class, m, None)))
        routes.append(Route(_CONVERTER.sub(r"{\1}", raw), tuple(_CONVERTER.findall(raw)), methods))
    return routes
