"""Cookbook: recipe files, the three selectors, and the HTML and JSON views (SPEC §5)."""

from __future__ import annotations

import pytest

from cookbook.retrieval import recipe_search
from cookbook.selectors import Recipe, SearchHit, recipe_list, recipe_read
from support_project.domain import NotFound

REQUIRED_SLUGS = {
    "support_tickets", "api_integrations", "connect_wizards", "event_callbacks",
    "billing", "usage_keys", "mcp", "account_access", "rate_limits_and_errors", "troubleshooting_exports",
}

# The test client passes through the whole middleware stack, which touches sessions and auth.
pytestmark = pytest.mark.django_db


def _top(query: str, n: int = 5) -> list[str]:
    return [hit.slug for hit in recipe_search(query=query, limit=n)]


# --- selectors --------------------------------------------------------------------------------------

def test_it_ships_every_required_recipe_with_title_summary_and_html() -> None:
    recipes = recipe_list()
    assert REQUIRED_SLUGS <= {r.slug for r in recipes}
    for recipe in recipes:
        assert isinstance(recipe, Recipe)
        assert recipe.title.strip() and recipe.summary.strip(), recipe.slug
        assert recipe.keywords, recipe.slug
        assert recipe.html.startswith("<h1"), recipe.slug
        assert "---" not in recipe.markdown.splitlines()[0], recipe.slug  # header stripped


def test_it_lists_recipes_in_title_order() -> None:
    titles = [r.title.lower() for r in recipe_list()]
    assert titles == sorted(titles)


def test_it_reads_a_recipe_and_raises_not_found_for_unknown_slugs() -> None:
    recipe = recipe_read(slug="billing")
    assert recipe.title == "Billing, balance and payments"
    assert recipe.url == "/cookbook/billing"
    with pytest.raises(NotFound) as exc:
        recipe_read(slug="no_such_recipe")
    assert exc.value.code == "NOT_FOUND"
    assert isinstance(exc.value, NotFound)


def test_it_ranks_event_callbacks_first_for_webhook_signature() -> None:
    assert _top("webhook signature")[0] == "event_callbacks"


def test_it_ranks_billing_first_for_charged_twice() -> None:
    assert _top("charged twice")[0] == "billing"


def test_it_ranks_mcp_first_for_connect_mcp_client() -> None:
    assert _top("connect MCP client")[0] == "mcp"


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("lost token can't log in", "account_access"),
        ("export times out", "troubleshooting_exports"),
        ("support wizard", "connect_wizards"),
        ("429 rate limited Retry-After", "rate_limits_and_errors"),
        ("usage key scopes", "usage_keys"),
        ("402 payment required x402", "billing"),
    ],
)
def test_it_ranks_the_topic_recipe_first(query: str, slug: str) -> None:
    assert _top(query)[0] == slug


def test_search_hits_are_typed_sorted_deterministic_and_limited() -> None:
    hits = recipe_search(query="ticket", limit=3)
    assert len(hits) == 3
    assert all(isinstance(h, SearchHit) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits == recipe_search(query="ticket", limit=3)
    assert all(h.url == f"/cookbook/{h.slug}" and h.snippet for h in hits)


def test_search_with_no_matching_words_returns_nothing() -> None:
    assert recipe_search(query="zzqx") == []
    assert recipe_search(query="the and of") == []  # only stopwords
    assert recipe_search(query="billing", limit=0) == []


# --- HTML views -------------------------------------------------------------------------------------

def test_index_lists_every_recipe(client) -> None:
    response = client.get("/cookbook")
    assert response.status_code == 200
    html = response.content.decode()
    for slug in REQUIRED_SLUGS:
        assert f'href="/cookbook/{slug}"' in html
    assert "411data Support" in html  # base layout
    assert "/static/css/base.css" in html and "/static/css/cookbook.css" in html


def test_index_searches_without_javascript(client) -> None:
    response = client.get("/cookbook", {"q": "webhook signature"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Results for “webhook signature”" in html
    assert html.index('class="hit__title" href="/cookbook/event_callbacks"') < html.index("All recipes</h2>")


def test_index_escapes_the_query(client) -> None:
    response = client.get("/cookbook", {"q": "<script>alert(1)</script>"})
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_trailing_slash_redirects_to_index(client) -> None:
    response = client.get("/cookbook/")
    assert response.status_code == 301
    assert response["Location"] == "/cookbook"


def test_recipe_page_renders_title_summary_and_body(client) -> None:
    response = client.get("/cookbook/event_callbacks")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="recipe__title">Event callbacks (signed webhooks)</h1>' in html
    assert "<title>Event callbacks (signed webhooks) · Cookbook · 411data Support</title>" in html
    assert "hmac.compare_digest" in html
    assert html.count("<h1") == 1  # the recipe's own h1 is replaced by the page title
    assert 'aria-current="page">Event callbacks (signed webhooks)</a>' in html


def test_unknown_recipe_page_is_404_html(client) -> None:
    response = client.get("/cookbook/no_such_recipe")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Recipe not found" in response.content


# --- JSON views -------------------------------------------------------------------------------------

def test_search_json_returns_ranked_results(client) -> None:
    response = client.get("/cookbook/search", {"q": "webhook signature"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "webhook signature"
    assert len(body["results"]) == 5
    first = body["results"][0]
    assert set(first) == {"slug", "title", "summary", "score", "snippet", "url"}
    assert first["slug"] == "event_callbacks"
    assert first["title"] == "Event callbacks (signed webhooks)"
    assert first["url"] == "/cookbook/event_callbacks"
    assert isinstance(first["score"], float) and first["score"] > 0


def test_search_json_ranks_billing_for_charged_twice_and_honours_limit(client) -> None:
    body = client.get("/cookbook/search", {"q": "charged twice", "limit": "2"}).json()
    assert [r["slug"] for r in body["results"]][0] == "billing"
    assert len(body["results"]) == 2


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_search_json_requires_a_query(client, params) -> None:
    response = client.get("/cookbook/search", params, HTTP_X_REQUEST_ID="req-test-1")
    assert response.status_code == 400
    assert response.json() == {
        "code": "VALIDATION_ERROR",
        "message": "The query parameters are invalid.",
        "details": {"q": ["This parameter is required and may not be blank."]},
        "request_id": "req-test-1",
    }


def test_search_json_rejects_a_bad_limit(client) -> None:
    response = client.get("/cookbook/search", {"q": "billing", "limit": "0"})
    assert response.status_code == 400
    assert response.json()["details"] == {"limit": ["Must be an integer from 1 to 20."]}


def test_search_json_refuses_post(client) -> None:
    response = client.post("/cookbook/search?q=billing")
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert response["Allow"] == "GET, HEAD"


def test_read_json_returns_the_recipe(client) -> None:
    response = client.get("/cookbook/read/mcp")
    assert response.status_code == 200
    body = response.json()
    recipe = recipe_read(slug="mcp")
    assert body == {
        "slug": "mcp",
        "title": "Connect an MCP client",
        "summary": recipe.summary,
        "markdown": recipe.markdown,
        "html": recipe.html,
        "url": "/cookbook/mcp",
    }
    assert "manage.py mcp_serve --transport stdio --token" in body["markdown"]


def test_read_json_unknown_slug_is_404_envelope(client) -> None:
    response = client.get("/cookbook/read/no_such_recipe", HTTP_X_REQUEST_ID="req-test-2")
    assert response.status_code == 404
    assert response.json() == {
        "code": "NOT_FOUND",
        "message": "No cookbook recipe named 'no_such_recipe'.",
        "details": {"slug": ["no_such_recipe"]},
        "request_id": "req-test-2",
    }
