"""Issue 16 item 10: a callback URL with port 0 is refused (it used to be sent to 443)."""

from __future__ import annotations

import pytest

from webhooks import ssrf
from webhooks.models import Subscription

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(30)]

SUBSCRIPTIONS = "/api/v1/event-callbacks/subscriptions"
PUBLIC_IP = "93.184.215.14"


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("url", [
    "https://hooks.example.test:0/in",
    "https://hooks.example.test:00/in",
    f"https://{PUBLIC_IP}:0/in",
])
def test_it_refuses_port_zero(agent_a, settings, monkeypatch, url, allow_private):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allow_private
    monkeypatch.setattr(ssrf, "_getaddrinfo", lambda host, port: [PUBLIC_IP])
    response = agent_a.client.post(
        SUBSCRIPTIONS, {"event_types": ["support.ticket_created"], "callback_url": url}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["details"] == {"callback_url": ["The callback URL's port must be between 1 and 65535."]}
    assert Subscription.objects.count() == 0


def test_it_refuses_port_zero_at_send_time_too(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    with pytest.raises(ssrf.BlockedDestination, match="port must be between 1 and 65535"):
        ssrf.resolve_target("http://127.0.0.1:0/in")


def test_an_explicit_port_is_kept(settings, monkeypatch):
    monkeypatch.setattr(ssrf, "_getaddrinfo", lambda host, port: [PUBLIC_IP])
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert ssrf.resolve_target("https://hooks.example.test:8443/in").port == 8443
    assert ssrf.resolve_target("https://hooks.example.test/in").port == 443
