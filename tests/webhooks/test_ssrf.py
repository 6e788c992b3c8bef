"""SSRF guard: refused at create/update time AND at connect time (resolve once, pin the IP)."""

from __future__ import annotations

import ipaddress

import pytest

from webhooks import dispatch, ssrf
from webhooks.models import Delivery, DeliveryStatus, Subscription
from webhooks.services import event_emit

from .conftest import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(30)]

SUBSCRIPTIONS = "/api/v1/event-callbacks/subscriptions"
PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def strict(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    return settings


def _create(agent, url: str):  # type: ignore[no-untyped-def]
    return agent.client.post(SUBSCRIPTIONS, {"event_types": ["support.ticket_created"], "callback_url": url},
                             format="json")


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1/hook", "The callback URL must use https."),
    ("http://example.com/hook", "The callback URL must use https."),
    ("https://169.254.169.254/latest/meta-data", "resolves to a loopback"),
    ("https://[::1]/hook", "resolves to a loopback"),
    ("https://10.0.0.1/hook", "resolves to a loopback"),
    ("https://192.168.1.10/hook", "resolves to a loopback"),
    ("https://100.64.0.1/hook", "resolves to a loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "resolves to a loopback"),
    ("https://[fd00::1]/hook", "resolves to a loopback"),
    ("https://0.0.0.0/hook", "resolves to a loopback"),
    ("https://2130706433/hook", "resolves to a loopback"),
    ("https://localhost/hook", "must not point at this machine"),
    ("https://user:pw@example.com/hook", "must not contain a user name"),
    ("ftp://example.com/hook", "must use https"),
])
def test_create_refuses_disallowed_targets(agent_a, strict, url, reason):
    response = _create(agent_a, url)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert list(body["details"]) == ["callback_url"]
    assert reason in body["details"]["callback_url"][0]
    assert Subscription.objects.count() == 0


def test_a_hostname_resolving_to_a_private_address_is_refused(agent_a, strict, monkeypatch):
    monkeypatch.setattr(ssrf, "_getaddrinfo", lambda host, port: [PUBLIC_IP, "10.1.2.3"])
    response = _create(agent_a, "https://hooks.example.test/in")
    assert response.status_code == 400
    assert response.json()["details"]["callback_url"] == [
        "The callback URL resolves to a loopback, private, link-local or reserved address."]


def test_a_public_https_target_is_accepted(agent_a, strict):
    response = _create(agent_a, f"https://{PUBLIC_IP}/hook")
    assert response.status_code == 201, response.content


def test_update_applies_the_same_check(agent_a, strict):
    sub_id = _create(agent_a, f"https://{PUBLIC_IP}/hook").json()["id"]
    response = agent_a.client.patch(f"{SUBSCRIPTIONS}/{sub_id}", {"callback_url": "https://127.0.0.1/x"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["callback_url"]
    assert Subscription.objects.get().callback_url == f"https://{PUBLIC_IP}/hook"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_connect_time_check_refuses_targets_allowed_when_they_were_saved(agent_a, local_targets, receiver, host):
    subscribe(agent_a, receiver.url(host=host))  # saved while private targets were allowed
    local_targets.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id)

    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)

    assert attempt is not None and attempt.error.startswith("blocked: ")
    assert attempt.response_status is None
    assert Delivery.objects.get(id=delivery_id).status == DeliveryStatus.DEAD  # permanent: no retries
    assert receiver.requests == []


def test_dns_rebinding_after_creation_is_refused_at_connect_time(agent_a, strict, receiver, monkeypatch):
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])
    monkeypatch.setattr(ssrf, "_getaddrinfo", lambda host, port: next(answers))
    assert _create(agent_a, f"https://rebind.example.test:{receiver.port}/hook").status_code == 201
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id)

    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)

    assert attempt is not None
    assert attempt.error == ("blocked: The callback URL resolves to a loopback, private, link-local or "
                             "reserved address.")
    assert receiver.requests == []


def test_it_connects_to_the_address_it_resolved_and_keeps_the_host_header(agent_a, local_targets, receiver,
                                                                          monkeypatch):
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(ssrf, "_getaddrinfo", resolve)
    subscribe(agent_a, f"http://receiver.example.test:{receiver.port}/in?x=1")
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id)
    dispatch.delivery_attempt(delivery_id=delivery_id)

    (request,) = receiver.wait_for(1)
    assert request.headers["host"] == f"receiver.example.test:{receiver.port}"
    assert request.path == "/in?x=1"
    assert lookups == ["receiver.example.test", "receiver.example.test"]  # create, then send: once each


@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.215.14", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("172.16.0.1", False), ("192.168.0.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("255.255.255.255", False), ("198.18.0.1", False), ("::1", False), ("::", False), ("fe80::1", False),
    ("fc00::1", False), ("ff02::1", False), ("::ffff:10.0.0.1", False), ("::ffff:127.0.0.1", False),
    ("64:ff9b::7f00:1", False), ("2002:7f00:1::", False),
])
def test_address_rules(address, allowed):
    assert ssrf.address_is_allowed(ipaddress.ip_address(address)) is allowed
