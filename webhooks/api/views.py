"""Event callbacks API (SPEC §7, §9). Thin: parse, call a selector or service, shape the JSON.

Every subscription view exists twice: for an agent's admin bearer under /api/v1/ and, with
`IsStaff`, for staff-scope subscriptions (agent null: every agent's support events) under
/api/admin/. `_ScopedView.owner()` is the only difference.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope
from accounts.permissions import IsAdminBearer, IsStaff, require_scope
from support_project.api.errors import ValidationFailed
from support_project.api.pagination import paginate, parse_limit
from support_project.api.serializers import validate_body
from support_project.txid import decode_position, encode_position

from .. import dispatch, selectors, services
from ..catalog import catalog_json
from ..selectors import Owner
from .serializers import (
    DeliveryOut,
    DeliveryPage,
    EmptyIn,
    EventFeedOut,
    SubscriptionCreateIn,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionUpdateIn,
    SubscriptionWithSecretOut,
    TestResultOut,
    attempt_json,
    delivery_json,
    subscription_json,
)

PAGE_PARAMS = [OpenApiParameter("limit", int, description="1–100, default 25"), OpenApiParameter("cursor", str)]
TAG = ["event-callbacks"]


class CatalogView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(tags=TAG, auth=[], summary="Event types, descriptions and example payloads (no auth)",
                   responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"results": catalog_json(), "signature_headers": [
            "X-411data-Signature", "X-411data-Timestamp", "X-411data-Event", "X-411data-Delivery",
            "webhook-id", "webhook-timestamp", "webhook-signature"]})


class _ListAwareSchema(AutoSchema):
    """GET on a collection is `…_list`, not `…_retrieve` (keeps operation ids unique)."""

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if self.method == "GET" and getattr(self.view, "is_collection", False):
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id


class _ScopedView(APIView):
    permission_classes = [IsAdminBearer]
    staff_scope = False

    def owner(self, request: Request) -> Owner:
        if self.staff_scope:
            return Owner(agent=None, staff_user=request.auth.staff_user)
        return Owner(agent=request.auth.agent)


class SubscriptionsView(_ScopedView):
    schema = _ListAwareSchema()
    is_collection = True

    @extend_schema(tags=TAG, summary="List subscriptions, newest first", parameters=PAGE_PARAMS,
                   responses=SubscriptionPage)
    def get(self, request: Request) -> Response:
        return Response(paginate(
            selectors.subscription_list(owner=self.owner(request)), params=request.query_params,
            order=("-created_at", "-id"), serialize=lambda rows: [subscription_json(s) for s in rows],
        ))

    @extend_schema(tags=TAG, summary="Create a subscription (the signing secret is shown once)",
                   request=SubscriptionCreateIn, responses={201: SubscriptionWithSecretOut})
    def post(self, request: Request) -> Response:
        data = validate_body(SubscriptionCreateIn, request.data)
        subscription, secret = services.subscription_create(owner=self.owner(request), **data)
        return Response({**subscription_json(subscription), "signing_secret": secret}, status=status.HTTP_201_CREATED)


class SubscriptionDetailView(_ScopedView):
    @extend_schema(tags=TAG, summary="Get a subscription", responses=SubscriptionOut)
    def get(self, request: Request, subscription_id: str) -> Response:
        sub = selectors.subscription_get(owner=self.owner(request), subscription_id=subscription_id)
        return Response(subscription_json(sub))

    @extend_schema(tags=TAG, summary="Update label, event types, callback URL or active",
                   request=SubscriptionUpdateIn, responses=SubscriptionOut)
    def patch(self, request: Request, subscription_id: str) -> Response:
        owner = self.owner(request)
        sub = selectors.subscription_get(owner=owner, subscription_id=subscription_id)
        changes = validate_body(SubscriptionUpdateIn, request.data)
        return Response(subscription_json(services.subscription_update(owner=owner, subscription=sub, changes=changes)))

    @extend_schema(tags=TAG, summary="Delete a subscription and its delivery log", responses={204: None})
    def delete(self, request: Request, subscription_id: str) -> Response:
        sub = selectors.subscription_get(owner=self.owner(request), subscription_id=subscription_id)
        services.subscription_delete(subscription=sub)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _no_body(request: Request) -> None:
    validate_body(EmptyIn, request.data if request.data is not None else {})


class RotateSecretView(_ScopedView):
    @extend_schema(tags=TAG, summary="Rotate the signing secret (the old one keeps signing for 24 h)",
                   request=None, responses=SubscriptionWithSecretOut)
    def post(self, request: Request, subscription_id: str) -> Response:
        _no_body(request)
        sub = selectors.subscription_get(owner=self.owner(request), subscription_id=subscription_id)
        sub, secret = services.subscription_rotate_secret(subscription=sub)
        return Response({**subscription_json(sub), "signing_secret": secret})


class TestView(_ScopedView):
    @extend_schema(tags=TAG, summary="Send a webhook.test event now and return the attempt",
                   request=None, responses=TestResultOut)
    def post(self, request: Request, subscription_id: str) -> Response:
        _no_body(request)
        sub = selectors.subscription_get(owner=self.owner(request), subscription_id=subscription_id)
        attempt = dispatch.subscription_test_send(subscription=sub)
        return Response({"delivery_id": attempt.delivery_id, "event_id": attempt.delivery.event.public_id,
                         "attempt": attempt_json(attempt)})


class DeliveriesView(_ScopedView):
    schema = _ListAwareSchema()
    is_collection = True

    @extend_schema(tags=TAG, summary="The delivery log: deliveries, newest first, with every attempt",
                   parameters=PAGE_PARAMS, responses=DeliveryPage)
    def get(self, request: Request, subscription_id: str) -> Response:
        sub = selectors.subscription_get(owner=self.owner(request), subscription_id=subscription_id)
        return Response(paginate(
            selectors.delivery_log(subscription=sub), params=request.query_params,
            order=("-created_at", "-id"), serialize=lambda rows: [delivery_json(d) for d in rows],
        ))


class RedeliverView(_ScopedView):
    @extend_schema(tags=TAG, summary="Send a delivery again now (same webhook-id)", request=None,
                   responses={202: DeliveryOut})
    def post(self, request: Request, delivery_id: str) -> Response:
        _no_body(request)
        delivery = selectors.delivery_get(owner=self.owner(request), delivery_id=delivery_id)
        delivery = dispatch.delivery_redeliver(delivery=delivery)
        return Response(delivery_json(delivery), status=status.HTTP_202_ACCEPTED)


class EventFeedView(APIView):
    """The pull feed (SPEC §9): the same envelopes as the callbacks, in order."""

    permission_classes = [require_scope(Scope.SUPPORT)]

    @extend_schema(tags=TAG, summary="Your events in order, after a cursor", responses=EventFeedOut, parameters=[
        OpenApiParameter("after", str, description="next_cursor of the previous page; omit to start at the beginning"),
        OpenApiParameter("limit", int, description="1–100, default 25")])
    def get(self, request: Request) -> Response:
        limit = parse_limit(request.query_params.get("limit"))
        after = _decode_feed_cursor(request.query_params.get("after"))
        events = selectors.event_feed(agent=request.auth.agent, after=after, limit=limit + 1)
        has_more = len(events) > limit
        events = events[:limit]
        last = (events[-1].txid, events[-1].seq) if events else after
        return Response({
            # The stored envelope is the exact JSON every callback carried.
            "results": [_parsed(e.envelope) for e in events],
            "next_cursor": _encode_feed_cursor(last) if last != (0, 0) else None,
            "has_more": has_more,
        })


def _parsed(envelope: str) -> Any:
    return json.loads(envelope)


def _encode_feed_cursor(position: tuple[int, int]) -> str:
    return f"ev_{encode_position(*position)}"


def _decode_feed_cursor(raw: str | None) -> tuple[int, int]:
    """`ev_<txid>-<seq>`; the older `ev_<seq>` (before positions had a txid) still resumes."""
    if not raw:
        return (0, 0)
    if raw.startswith("ev_") and raw[3:].isdigit() and len(raw) < 24:
        return selectors.event_position_of_seq(seq=int(raw[3:]))
    position = decode_position(raw[3:]) if raw.startswith("ev_") else None
    if position is not None:
        return position
    raise ValidationFailed("after is not a cursor this feed returned.", details={"after": ["Invalid cursor."]})


# --- staff (/api/admin/): staff-scope subscriptions ------------------------------------------------

def _staff(view: type[_ScopedView]) -> type[_ScopedView]:
    return type(f"Staff{view.__name__}", (view,), {"permission_classes": [IsStaff], "staff_scope": True})


StaffSubscriptionsView = _staff(SubscriptionsView)
StaffSubscriptionDetailView = _staff(SubscriptionDetailView)
StaffRotateSecretView = _staff(RotateSecretView)
StaffTestView = _staff(TestView)
StaffDeliveriesView = _staff(DeliveriesView)
StaffRedeliverView = _staff(RedeliverView)
