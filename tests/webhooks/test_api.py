"""Event callbacks API (SPEC §7, §9): who may call what, exact bodies, pinned query counts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from webhooks import dispatch
from webhooks.models import Delivery, DeliveryStatus, Event, Subscription
from webhooks.services import event_emit

from .conftest import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(30)]

SUBS = "/api/v1/event-callbacks/subscriptions"
STAFF_SUBS = "/api/admin/event-callbacks/subscriptions"


def _create(client, url: str, base: str = SUBS, **extra):  # type: ignore[no-untyped-def]
    body = {"label": "ops", "event_types": ["support.ticket_created", "support.ticket_updated"],
            "callback_url": url, **extra}
    return client.post(base, body, format="json")


def test_the_catalog_is_public(anon):
    response = anon.get("/api/v1/event-callbacks/catalog")
    assert response.status_code == 200
    types = [entry["type"] for entry in response.json()["results"]]
    assert types == ["support.ticket_created", "support.message_created", "support.ticket_updated",
                     "support.bounty_awarded", "support.ticket_rated", "webhook.subscription_disabled", "webhook.test"]
    first = response.json()["results"][0]
    assert list(first["example"]) == ["id", "type", "created_at", "agent_id", "data"]
    assert first["example"]["data"]["ticket"]["ticket_id"].startswith("tkt_")


def test_create_returns_the_secret_once(agent_a, local_targets, receiver):
    response = _create(agent_a.client, receiver.url())
    assert response.status_code == 201, response.content
    body = response.json()
    sub = Subscription.objects.get()
    assert body == {
        "id": sub.id, "agent_id": agent_a.agent.id, "label": "ops",
        "event_types": ["support.ticket_created", "support.ticket_updated"], "callback_url": receiver.url(),
        "http_method": "POST", "auth_mode": "hmac", "active": True, "disabled_reason": None, "disabled_at": None,
        "failing_since": None, "consecutive_failures": 0, "previous_secret_expires_at": None,
        "created_at": body["created_at"], "updated_at": body["updated_at"], "signing_secret": sub.signing_secret,
    }
    assert body["id"].startswith("sub_") and body["signing_secret"].startswith("ech_")
    again = agent_a.client.get(f"{SUBS}/{sub.id}").json()
    assert "signing_secret" not in again and "bearer_token" not in again


@pytest.mark.parametrize(("extra", "field"), [
    ({"colour": "red"}, "colour"),
    ({"event_types": ["support.nope"]}, "event_types"),
    ({"event_types": []}, "event_types"),
    ({"http_method": "GET"}, "http_method"),
    ({"auth_mode": "hmac_bearer"}, "bearer_token"),
    ({"auth_mode": "hmac", "bearer_token": "x"}, "bearer_token"),
])
def test_create_rejects_bad_bodies(agent_a, local_targets, extra, field):
    response = _create(agent_a.client, "http://127.0.0.1:9/hook", **extra)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert list(response.json()["details"]) == [field]
    assert Subscription.objects.count() == 0


def test_usage_keys_get_403_insufficient_scope(agent_a, usage_key, local_targets):
    client = usage_key(["support", "chat", "billing:read"])
    for response in (client.get(SUBS), _create(client, "http://127.0.0.1:9/hook")):
        assert response.status_code == 403
        assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert Subscription.objects.count() == 0


def test_the_active_limit_is_409(agent_a, local_targets, settings):
    settings.WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS = 2
    first = _create(agent_a.client, "http://127.0.0.1:9/a").json()["id"]
    assert _create(agent_a.client, "http://127.0.0.1:9/b").status_code == 201
    response = _create(agent_a.client, "http://127.0.0.1:9/c")
    assert response.status_code == 409
    assert response.json()["code"] == "SUBSCRIPTION_LIMIT_REACHED"
    assert response.json()["details"] == {"limit": 2}

    assert agent_a.client.patch(f"{SUBS}/{first}", {"active": False}, format="json").json()["disabled_reason"] == "owner"
    assert _create(agent_a.client, "http://127.0.0.1:9/c").status_code == 201
    reenable = agent_a.client.patch(f"{SUBS}/{first}", {"active": True}, format="json")
    assert reenable.status_code == 409 and reenable.json()["code"] == "SUBSCRIPTION_LIMIT_REACHED"
    assert Subscription.objects.filter(active=True).count() == 2


def test_another_agents_ids_are_404(agent_a, agent_b, local_targets, receiver):
    sub, _ = subscribe(agent_a, receiver.url())
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id)
    c = agent_b.client
    for response in (c.get(f"{SUBS}/{sub.id}"), c.patch(f"{SUBS}/{sub.id}", {"label": "x"}, format="json"),
                     c.delete(f"{SUBS}/{sub.id}"), c.post(f"{SUBS}/{sub.id}/rotate-secret"),
                     c.post(f"{SUBS}/{sub.id}/test"), c.get(f"{SUBS}/{sub.id}/deliveries"),
                     c.post(f"/api/v1/event-callbacks/deliveries/{delivery_id}/redeliver")):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "NOT_FOUND"
    assert c.get(SUBS).json() == {"results": [], "next_cursor": None}
    assert receiver.requests == []
    assert Subscription.objects.get().label == "test"


def test_list_is_paginated_with_a_pinned_query_count(agent_a, agent_b, local_targets, django_assert_num_queries):
    ids = [_create(agent_a.client, f"http://127.0.0.1:9/{n}").json()["id"] for n in range(3)]
    _create(agent_b.client, "http://127.0.0.1:9/b")
    # 1: the bearer token (+ agent, joined)  2: one page of subscriptions
    with django_assert_num_queries(2):
        page = agent_a.client.get(SUBS, {"limit": 2}).json()
    assert [s["id"] for s in page["results"]] == ids[::-1][:2]
    with django_assert_num_queries(2):
        rest = agent_a.client.get(SUBS, {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [s["id"] for s in rest["results"]] == [ids[0]]
    assert rest["next_cursor"] is None


def test_patch_and_delete(agent_a, local_targets):
    sub_id = _create(agent_a.client, "http://127.0.0.1:9/hook").json()["id"]
    response = agent_a.client.patch(f"{SUBS}/{sub_id}", {"label": "renamed", "event_types": ["support.bounty_awarded"]},
                                    format="json")
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["event_types"]) == ("renamed", ["support.bounty_awarded"])
    assert agent_a.client.patch(f"{SUBS}/{sub_id}", {"active": "yes"}, format="json").status_code == 400
    assert agent_a.client.patch(f"{SUBS}/{sub_id}", {"secret": "x"}, format="json").status_code == 400
    assert agent_a.client.delete(f"{SUBS}/{sub_id}").status_code == 204
    assert Subscription.objects.count() == 0
    assert agent_a.client.get(f"{SUBS}/{sub_id}").status_code == 404


def test_rotate_secret_returns_the_new_secret_once(agent_a, local_targets):
    created = _create(agent_a.client, "http://127.0.0.1:9/hook").json()
    response = agent_a.client.post(f"{SUBS}/{created['id']}/rotate-secret")
    assert response.status_code == 200
    body = response.json()
    sub = Subscription.objects.get()
    assert body["signing_secret"] == sub.signing_secret != created["signing_secret"]
    assert sub.previous_secret == created["signing_secret"]
    assert timedelta(hours=23, minutes=59) < sub.previous_secret_expires_at - timezone.now() <= timedelta(hours=24)
    assert agent_a.client.post(f"{SUBS}/{created['id']}/rotate-secret", {"x": 1}, format="json").status_code == 400


def test_the_test_endpoint_sends_a_signed_test_event_now(agent_a, local_targets, receiver):
    created = _create(agent_a.client, receiver.url()).json()
    response = agent_a.client.post(f"{SUBS}/{created['id']}/test")
    assert response.status_code == 200, response.content
    body = response.json()
    (request,) = receiver.wait_for(1)
    assert request.headers["x-411data-event"] == "webhook.test"
    payload = Webhook("whsec_" + created["signing_secret"][4:]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test" and payload["id"] == body["event_id"]
    assert payload["data"] == {"message": "This is a test event from the support desk.",
                               "subscription_id": created["id"]}
    assert body["delivery_id"] == request.headers["webhook-id"]
    assert body["attempt"] | {"attempted_at": None, "duration_ms": 0} == {
        "attempt_number": 1, "attempted_at": None, "succeeded": True, "response_status": 200, "duration_ms": 0,
        "error": "", "response_body": "ok"}


def test_the_delivery_log_has_a_pinned_query_count_and_redelivery_reuses_the_webhook_id(
        agent_a, local_targets, receiver, django_assert_num_queries, django_capture_on_commit_callbacks):
    sub, _ = subscribe(agent_a, receiver.url())
    for n in range(3):
        event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={"n": n})
        (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id)
        dispatch.delivery_attempt(delivery_id=delivery_id)
    # 1: token  2: the subscription (owner-scoped)  3: deliveries + events (join)  4: their attempts
    with django_assert_num_queries(4):
        log = agent_a.client.get(f"{SUBS}/{sub.id}/deliveries").json()
    assert [d["status"] for d in log["results"]] == ["succeeded"] * 3
    newest = log["results"][0]
    assert newest["id"] == delivery_id and newest["event_type"] == "support.ticket_created"
    assert [a["attempt_number"] for a in newest["attempts"]] == [1]

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_a.client.post(f"/api/v1/event-callbacks/deliveries/{delivery_id}/redeliver")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    requests = receiver.wait_for(4)
    assert requests[3].headers["webhook-id"] == requests[2].headers["webhook-id"] == delivery_id
    delivery = Delivery.objects.get(id=delivery_id)
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)


def test_staff_scope_subscriptions_live_under_the_admin_api(agent_a, staff, local_targets, receiver):
    assert agent_a.client.get(STAFF_SUBS).json()["code"] == "STAFF_ONLY"
    assert staff.client.get(SUBS).status_code == 403
    response = _create(staff.client, receiver.url(), base=STAFF_SUBS)
    assert response.status_code == 201, response.content
    assert response.json()["agent_id"] is None
    sub = Subscription.objects.get()
    assert sub.created_by == staff.user
    assert staff.client.get(STAFF_SUBS).json()["results"][0]["id"] == sub.id
    assert agent_a.client.get(f"{SUBS}/{sub.id}").status_code == 404
    # It receives every agent's support events.
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    dispatch.event_fan_out(event_id=event.public_id)
    dispatch.delivery_attempt(delivery_id=Delivery.objects.get().id)
    assert json.loads(receiver.wait_for(1)[0].body)["agent_id"] == agent_a.agent.id
    assert staff.client.post(f"{STAFF_SUBS}/{sub.id}/test").json()["attempt"]["succeeded"] is True


def test_the_pull_feed_returns_own_events_in_order_with_a_cursor(agent_a, agent_b, usage_key, local_targets):
    mine = [event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={"n": n}).public_id
            for n in range(5)]
    event_emit(agent_id=agent_b.agent.id, event_type="support.ticket_created", data={})
    client = usage_key(["support"])

    first = client.get("/api/v1/events", {"limit": 3}).json()
    assert [e["id"] for e in first["results"]] == mine[:3]
    assert first["results"][0] == json.loads(Event.objects.get(public_id=mine[0]).envelope)
    assert first["has_more"] is True
    second = client.get("/api/v1/events", {"limit": 3, "after": first["next_cursor"]}).json()
    assert [e["id"] for e in second["results"]] == mine[3:]
    assert second["has_more"] is False
    later = event_emit(agent_id=agent_a.agent.id, event_type="support.bounty_awarded", data={}).public_id
    third = client.get("/api/v1/events", {"after": second["next_cursor"]}).json()
    assert [e["id"] for e in third["results"]] == [later]
    empty = client.get("/api/v1/events", {"after": third["next_cursor"]}).json()
    assert empty == {"results": [], "next_cursor": third["next_cursor"], "has_more": False}
    bad = client.get("/api/v1/events", {"after": "nope"})
    assert bad.status_code == 400 and list(bad.json()["details"]) == ["after"]
    assert usage_key(["chat"]).get("/api/v1/events").status_code == 403


def test_the_feed_holds_back_events_younger_than_the_settle_window(agent_a, local_targets):
    local_targets.WEBHOOK_FEED_SETTLE_SECONDS = 60
    event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={})
    assert agent_a.client.get("/api/v1/events").json() == {"results": [], "next_cursor": None, "has_more": False}
