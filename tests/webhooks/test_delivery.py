"""Delivery against a real loopback receiver: signing, retries, idempotency, 410, timeouts, caps."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from tests.webhook_receiver import Drop, Hang, Reply, Stream
from webhooks import dispatch, tasks
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Event, Subscription
from webhooks.services import event_emit, subscription_rotate_secret

from .conftest import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]


def _emit(agent_a) -> tuple[Event, str]:  # type: ignore[no-untyped-def]
    """An event fanned out to A's subscription; its delivery is due but not yet attempted."""
    event = event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_created", data={"ticket": {"n": 7}})
    (delivery_id,) = dispatch.event_fan_out(event_id=event.public_id)
    return event, delivery_id


def _make_due(delivery_id: str) -> None:
    """Time travel: the scheduled retry is due now."""
    Delivery.objects.filter(id=delivery_id).update(next_attempt_at=timezone.now(), queued_at=None)


def _recipe_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The cookbook's receiver recipe, verbatim."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def test_it_signs_with_both_schemes_and_the_receiver_recipes_verify(agent_a, local_targets, receiver):
    sub, secret = subscribe(agent_a, receiver.url())
    event, delivery_id = _emit(agent_a)

    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)

    (request,) = receiver.wait_for(1)
    h = request.headers
    assert request.method == "POST" and request.path == "/hook"
    assert request.body == event.envelope.encode()
    assert h["content-type"] == "application/json"
    assert h["x-411data-event"] == "support.ticket_created"
    assert h["x-411data-delivery"] == delivery_id == h["webhook-id"]
    assert h["x-411data-timestamp"] == h["webhook-timestamp"]
    assert h["x-411data-signature"] == _recipe_signature(secret, h["x-411data-timestamp"], request.body)
    assert Webhook("whsec_" + secret[4:]).verify(request.body, h) == json.loads(event.envelope)
    assert "authorization" not in h
    assert secret.startswith("ech_") and len(secret) == 4 + 44
    assert attempt is not None and attempt.succeeded and attempt.response_status == 200
    assert attempt.response_body == "ok"
    assert Delivery.objects.get(id=delivery_id).status == DeliveryStatus.SUCCEEDED
    assert sub.signing_secret not in attempt.response_body


def test_hmac_bearer_adds_the_authorization_header(agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url(), auth_mode="hmac_bearer", bearer_token="rcv-token-123")
    _, delivery_id = _emit(agent_a)
    dispatch.delivery_attempt(delivery_id=delivery_id)
    assert receiver.wait_for(1)[0].headers["authorization"] == "Bearer rcv-token-123"


def test_three_500s_then_200_is_four_attempts_and_one_success(agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    receiver.script(Reply(500, b"boom"), Reply(500), Reply(503), Reply(200))
    _, delivery_id = _emit(agent_a)

    before = timezone.now()
    dispatch.delivery_attempt(delivery_id=delivery_id)
    delivery = Delivery.objects.get(id=delivery_id)
    assert delivery.status == DeliveryStatus.FAILED
    # First retry: 30 s step with equal jitter → 15–30 s.
    assert before + timedelta(seconds=15) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    assert dispatch.delivery_attempt(delivery_id=delivery_id) is None  # not due yet: nothing sent
    for _ in range(3):
        _make_due(delivery_id)
        dispatch.delivery_attempt(delivery_id=delivery_id)

    assert len(receiver.wait_for(4)) == 4
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    attempts = list(DeliveryAttempt.objects.filter(delivery_id=delivery_id).order_by("attempt_number")
                    .values_list("attempt_number", "response_status", "succeeded", "error", "response_body"))
    assert attempts == [(1, 500, False, "HTTP 500", "boom"), (2, 500, False, "HTTP 500", "ok"),
                        (3, 503, False, "HTTP 503", "ok"), (4, 200, True, "", "ok")]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (DeliveryStatus.SUCCEEDED, 4, None)
    sub = Subscription.objects.get()
    assert (sub.consecutive_failures, sub.failing_since, sub.active) == (0, None, True)


def test_connection_refused_then_back_is_delivered_by_the_sweeper(agent_a, local_targets, receiver,
                                                                   django_capture_on_commit_callbacks):
    subscribe(agent_a, receiver.url())
    receiver.stop()
    _, delivery_id = _emit(agent_a)
    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None and attempt.error == "connection failed: ConnectionError"
    assert attempt.response_status is None

    receiver.start()  # same port
    _make_due(delivery_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep() == {"events_fanned_out": 0, "deliveries_queued": 1}

    assert len(receiver.wait_for(1)) == 1
    delivery = Delivery.objects.get(id=delivery_id)
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep() == {"events_fanned_out": 0, "deliveries_queued": 0}
    assert len(receiver.requests) == 1


def test_the_same_deliver_task_twice_posts_once(agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    _, delivery_id = _emit(agent_a)
    assert tasks.deliver(delivery_id) == "succeeded"
    assert tasks.deliver(delivery_id) == "skipped"
    assert len(receiver.wait_for(1)) == 1
    assert DeliveryAttempt.objects.count() == 1


def test_a_dropped_connection_is_a_retry(agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    receiver.script(Drop())
    _, delivery_id = _emit(agent_a)
    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None and attempt.error.startswith("connection failed")
    assert Delivery.objects.get(id=delivery_id).status == DeliveryStatus.FAILED


def test_410_disables_the_subscription_and_tells_the_owner(agent_a, local_targets, receiver):
    sub, _ = subscribe(agent_a, receiver.url())
    receiver.script(Reply(410, b"gone"))
    _, delivery_id = _emit(agent_a)
    dispatch.delivery_attempt(delivery_id=delivery_id)

    sub.refresh_from_db()
    assert (sub.active, sub.disabled_reason) == (False, "gone")
    assert Delivery.objects.get(id=delivery_id).status == DeliveryStatus.DEAD
    notice = Event.objects.get(type="webhook.subscription_disabled")
    assert notice.agent_id == agent_a.agent.id
    assert json.loads(notice.envelope)["data"]["subscription"]["id"] == sub.id
    assert json.loads(notice.envelope)["data"]["subscription"]["disabled_reason"] == "gone"


def test_a_hanging_receiver_is_cut_at_the_timeout(agent_a, local_targets, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    subscribe(agent_a, receiver.url())
    receiver.script(Hang(20))
    _, delivery_id = _emit(agent_a)
    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None
    assert attempt.error == "timed out after 1 s"
    assert 900 <= attempt.duration_ms < 3000
    assert Delivery.objects.get(id=delivery_id).status == DeliveryStatus.FAILED


def test_a_huge_response_body_is_capped(agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    receiver.script(Stream(total_bytes=50 * 1024 * 1024))
    _, delivery_id = _emit(agent_a)
    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None and attempt.succeeded
    assert attempt.response_body == "x" * 2048
    assert attempt.error == "response body cut at 64 KiB"
    assert attempt.duration_ms < 3000


def test_redirects_are_not_followed(agent_a, local_targets, receiver):
    subscribe(agent_a, receiver.url())
    receiver.script(Reply(302, b"", {"Location": receiver.url("/elsewhere")}))
    _, delivery_id = _emit(agent_a)
    attempt = dispatch.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None and attempt.error == "HTTP 302 (redirects are not followed)"
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_both_secrets_sign_for_24_hours_after_rotation(agent_a, local_targets, receiver):
    sub, old = subscribe(agent_a, receiver.url())
    sub, new = subscription_rotate_secret(subscription=sub)
    assert new != old and new.startswith("ech_")
    _, delivery_id = _emit(agent_a)
    dispatch.delivery_attempt(delivery_id=delivery_id)

    (request,) = receiver.wait_for(1)
    h = request.headers
    ts = h["x-411data-timestamp"]
    assert h["x-411data-signature"] == f"{_recipe_signature(new, ts, request.body)},{_recipe_signature(old, ts, request.body)}"
    assert len(h["webhook-signature"].split(" ")) == 2
    Webhook("whsec_" + new[4:]).verify(request.body, h)
    Webhook("whsec_" + old[4:]).verify(request.body, h)

    # 24 h later only the new secret signs.
    Subscription.objects.filter(id=sub.id).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    event_emit(agent_id=agent_a.agent.id, event_type="support.ticket_updated", data={})
    (second_id,) = dispatch.event_fan_out(event_id=Event.objects.latest("seq").public_id)
    dispatch.delivery_attempt(delivery_id=second_id)
    h2 = receiver.wait_for(2)[1].headers
    assert h2["x-411data-signature"] == _recipe_signature(new, h2["x-411data-timestamp"], receiver.requests[1].body)
    assert len(h2["webhook-signature"].split(" ")) == 1


def test_it_gives_up_after_the_last_attempt_and_disables_after_dead_deliveries(agent_a, local_targets, receiver,
                                                                                settings):
    settings.WEBHOOK_DISABLE_AFTER_DEAD_DELIVERIES = 1
    sub, _ = subscribe(agent_a, receiver.url())
    receiver.default = Reply(500)
    _, delivery_id = _emit(agent_a)
    for _ in range(dispatch.MAX_ATTEMPTS):
        _make_due(delivery_id)
        dispatch.delivery_attempt(delivery_id=delivery_id)

    assert dispatch.MAX_ATTEMPTS == 9
    delivery = Delivery.objects.get(id=delivery_id)
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (DeliveryStatus.DEAD, 9, None)
    assert len(receiver.requests) == 9
    sub.refresh_from_db()
    assert (sub.active, sub.disabled_reason, sub.consecutive_failures, sub.consecutive_dead) == (False, "failing", 9, 1)
    assert Event.objects.filter(type="webhook.subscription_disabled", agent=agent_a.agent).count() == 1


def test_a_subscription_failing_for_three_days_is_disabled(agent_a, local_targets, receiver):
    sub, _ = subscribe(agent_a, receiver.url())
    Subscription.objects.filter(id=sub.id).update(failing_since=timezone.now() - timedelta(days=3, seconds=1),
                                                  consecutive_failures=40)
    receiver.script(Reply(502))
    _, delivery_id = _emit(agent_a)
    dispatch.delivery_attempt(delivery_id=delivery_id)
    sub.refresh_from_db()
    assert (sub.active, sub.disabled_reason, sub.consecutive_failures) == (False, "failing", 41)
    assert Event.objects.filter(type="webhook.subscription_disabled").count() == 1


def test_retry_delays_follow_the_schedule_with_equal_jitter():
    for n, step in enumerate(dispatch.RETRY_SCHEDULE_SECONDS, start=1):
        for _ in range(20):
            assert step / 2 <= dispatch.retry_delay_seconds(n) <= step
    assert sum(dispatch.RETRY_SCHEDULE_SECONDS) == 81750  # ≈ 22.7 h at most, ≈ 11.4 h at least
