"""Cookbook pages and JSON (SPEC §5): free, no auth, plain Django views over `cookbook.selectors`.

HTML: `/cookbook` (index, with an optional `?q=` search that works without JavaScript) and
`/cookbook/<slug>`. JSON: `/cookbook/search?q=` and `/cookbook/read/<slug>`, whose errors use the
project's one envelope so clients (the chat, MCP, scripts) parse a single error shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from support_project.api.errors import domain_error_response, error_response
from support_project.domain import NotFound

from .retrieval import recipe_search
from .selectors import recipe_list, recipe_read

MAX_QUERY_CHARS = 200
MAX_LIMIT = 20

JsonView = Callable[..., HttpResponse]

# Recipes open with "# Title"; the page renders title and summary itself, so drop that first h1.
_LEADING_H1 = re.compile(r"^\s*<h1[^>]*>.*?</h1>\s*", re.DOTALL)


def _json_get_only(view: JsonView) -> JsonView:
    """GET/HEAD only, answered with the JSON envelope (Django's own 405 would be an empty body)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return error_response(
                request, 405, "METHOD_NOT_ALLOWED", "This method is not allowed on this path.",
                headers={"Allow": "GET, HEAD"},
            )
        return view(request, *args, **kwargs)

    return wrapper


def _json(body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]
    hits = recipe_search(query=query, limit=MAX_LIMIT) if query else []
    return render(
        request, "cookbook/index.html", {"recipes": recipe_list(), "query": query, "hits": hits}
    )


def index_slash(request: HttpRequest) -> HttpResponse:
    # APPEND_SLASH only adds slashes; people still type "/cookbook/", so send them home.
    return redirect("cookbook:index", permanent=True)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        recipe = recipe_read(slug=slug)
    except NotFound:
        return render(
            request, "cookbook/not_found.html", {"slug": slug, "recipes": recipe_list()}, status=404
        )
    body_html = _LEADING_H1.sub("", recipe.html, count=1)
    return render(
        request, "cookbook/detail.html", {"recipe": recipe, "body_html": body_html, "recipes": recipe_list()}
    )


@_json_get_only
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    errors: dict[str, list[str]] = {}
    if not query:
        errors["q"] = ["This parameter is required and may not be blank."]
    elif len(query) > MAX_QUERY_CHARS:
        errors["q"] = [f"Ensure this parameter has no more than {MAX_QUERY_CHARS} characters."]
    limit = 5
    raw_limit = request.GET.get("limit")
    if raw_limit is not None:
        if raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            errors["limit"] = [f"Must be an integer from 1 to {MAX_LIMIT}."]
    if errors:
        return error_response(request, 400, "VALIDATION_ERROR", "The query parameters are invalid.", errors)
    hits = recipe_search(query=query, limit=limit)
    return _json({"query": query, "results": [asdict(hit) for hit in hits]})


@_json_get_only
def read(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        recipe = recipe_read(slug=slug)
    except NotFound as exc:
        return domain_error_response(request, exc)
    return _json({
        "slug": recipe.slug, "title": recipe.title, "summary": recipe.summary,
        "markdown": recipe.markdown, "html": recipe.html, "url": recipe.url,
    })
