"""SPEC §1: one error envelope for every failure under /api/, request ids, rate limits, OpenAPI."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def _assert_envelope(response, status, code):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_unknown_api_path_is_a_404_envelope(agent_a):
    _assert_envelope(agent_a.client.get("/api/v1/nope"), 404, "NOT_FOUND")
    _assert_envelope(agent_a.client.get("/api/admin/nope"), 404, "NOT_FOUND")


def test_wrong_method_is_a_405_envelope(agent_a):
    _assert_envelope(agent_a.client.delete("/api/v1/agents/me"), 405, "METHOD_NOT_ALLOWED")


def test_malformed_json_is_400(agent_a):
    response = agent_a.client.post("/api/v1/agents/usage-keys", data="{not json", content_type="application/json")
    _assert_envelope(response, 400, "MALFORMED_JSON")


def test_non_json_body_is_415(agent_a):
    response = agent_a.client.post("/api/v1/agents/usage-keys", data="scopes=support",
                                   content_type="application/x-www-form-urlencoded")
    _assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_body_over_64_kib_is_413(agent_a):
    big = '{"label": "' + "x" * (64 * 1024) + '", "scopes": ["chat"]}'
    response = agent_a.client.post("/api/v1/agents/usage-keys", data=big, content_type="application/json")
    _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_json_array_is_a_validation_error(agent_a):
    response = agent_a.client.post("/api/v1/agents/usage-keys", data=[1, 2], format="json")
    body = _assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "non_field_errors" in body["details"]


def test_wrong_types_are_field_errors(agent_a):
    response = agent_a.client.post("/api/v1/agents/usage-keys", {"label": 5, "scopes": [1]}, format="json")
    body = _assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "scopes" in body["details"]


def test_it_echoes_a_sane_request_id_and_replaces_an_insane_one(agent_a):
    assert agent_a.client.get("/api/v1/agents/me", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    minted = agent_a.client.get("/api/v1/agents/me", HTTP_X_REQUEST_ID="bad id <script>")["X-Request-ID"]
    assert minted.startswith("req_")


def test_an_unexpected_exception_is_a_500_envelope(agent_a, monkeypatch):
    from accounts.api import views

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaboom")

    monkeypatch.setattr(views, "MeOut", boom)
    agent_a.client.raise_request_exception = False
    body = _assert_envelope(agent_a.client.get("/api/v1/agents/me"), 500, "INTERNAL_ERROR")
    assert "kaboom" not in body["message"]


def test_rate_limit_is_429_with_retry_after_and_headers(agent_a, settings):
    settings.RATE_LIMIT_PER_MINUTE = 3
    cache.clear()
    statuses = []
    for _ in range(4):
        response = agent_a.client.get("/api/v1/agents/me")
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    body = _assert_envelope(response, 429, "RATE_LIMITED")
    assert body["code"] == "RATE_LIMITED"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["RateLimit-Limit"] == "3"
    assert response["RateLimit-Remaining"] == "0"


def test_rate_limits_are_stored_in_redis(settings):
    # The suite runs with REDIS_URL set: the limiter's counters live in the shared cache.
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()


def test_openapi_document_validates(anon):
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    validate(schema)
    assert "/api/v1/agents/me" in schema["paths"]
    assert "4XX" in schema["paths"]["/api/v1/agents/me"]["get"]["responses"]


def test_swagger_ui_is_self_hosted(anon):
    response = anon.get("/api/docs")
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_healthz_and_readyz(anon):
    assert anon.get("/healthz").json() == {"status": "ok"}
    ready = anon.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_is_503_when_the_broker_is_unreachable(anon, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unavailable"


def test_the_rate_limiter_fails_open_when_its_cache_is_down(agent_a, monkeypatch):
    from support_project.api import throttling

    class DownCache:
        def add(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("redis is down")

        incr = add

    monkeypatch.setattr(throttling, "cache", DownCache())
    response = agent_a.client.get("/api/v1/agents/me")
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response


def test_a_non_numeric_content_length_is_a_400_envelope(agent_a):
    response = agent_a.client.post("/api/v1/agents/usage-keys", data=b"{}", content_type="application/json",
                                   CONTENT_LENGTH="lots")
    _assert_envelope(response, 400, "VALIDATION_ERROR")
