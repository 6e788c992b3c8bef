"""Event callbacks API (SPEC §7, §9). Thin: parse, call a selector or service, shape the JSON.

Every subscription and delivery route exists twice: for an agent's admin bearer under /api/v1/
and, with `IsStaff`, for staff-scope subscriptions (agent null: every agent's support events)
under /api/admin/. `_OwnedViewSet.owner()` is the only difference.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope
from accounts.permissions import IsAdminBearer, IsStaff, require_scope
from accounts.viewsets import ApiView, ApiViewSet
from billing.api.idempotent import IdempotentMixin
from support_project.api.pagination import paginate, parse_limit
from support_project.api.serializers import validate_body
from support_project.domain import InvalidInput

from .. import dispatch, selectors, services
from ..catalog import catalog_json
from ..models import Subscription
from ..selectors import Owner
from ..serializers import DeliveryOut, SubscriptionOut, SubscriptionWithSecretOut, TestResultOut
from .serializers import DeliveryPage, EmptyIn, EventFeedOut, SubscriptionCreateIn, SubscriptionPage, SubscriptionUpdateIn

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


class _OwnedViewSet(ApiViewSet):
    # Whose subscriptions: the caller's (admin bearer, /api/v1/) or, in the `Staff…` subclasses,
    # the staff scope (agent null: every agent's support events, /api/admin/). `owner()` is the only
    # difference.

    permission_classes: list[Any] = [IsAdminBearer]
    staff_scope = False

    def owner(self) -> Owner:
        if self.staff_scope:
            return Owner(agent=None, staff_user=self.staff_user)
        return Owner(agent=self.agent)


class SubscriptionViewSet(IdempotentMixin, _OwnedViewSet):
    # /event-callbacks/subscriptions[/{subscription_id}[/rotate-secret|/test|/deliveries]].

    lookup_url_kwarg = "subscription_id"

    def _get(self, subscription_id: str) -> Subscription:
        return selectors.subscription_get(owner=self.owner(), subscription_id=subscription_id)

    @extend_schema(tags=TAG, summary="List subscriptions, newest first", parameters=PAGE_PARAMS,
                   responses=SubscriptionPage)
    def list(self, request: Request) -> Response:
        return Response(paginate(
            selectors.subscription_list(owner=self.owner()), params=request.query_params,
            order=("-created_at", "-id"), serialize=lambda rows: SubscriptionOut(rows, many=True).data,
        ))

    @extend_schema(tags=TAG, summary="Create a subscription (the signing secret is shown once)",
                   request=SubscriptionCreateIn, responses={201: SubscriptionWithSecretOut})
    def create(self, request: Request) -> Response:
        data = validate_body(SubscriptionCreateIn, request.data)
        subscription, secret = services.subscription_create(owner=self.owner(), **data)
        body = SubscriptionWithSecretOut(subscription, context={"signing_secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, summary="Get a subscription", responses=SubscriptionOut)
    def retrieve(self, request: Request, subscription_id: str) -> Response:
        return Response(SubscriptionOut(self._get(subscription_id)).data)

    @extend_schema(tags=TAG, summary="Update label, event types, callback URL or active",
                   request=SubscriptionUpdateIn, responses=SubscriptionOut)
    def partial_update(self, request: Request, subscription_id: str) -> Response:
        sub = self._get(subscription_id)
        changes = validate_body(SubscriptionUpdateIn, request.data)
        updated = services.subscription_update(owner=self.owner(), subscription=sub, changes=changes)
        return Response(SubscriptionOut(updated).data)

    @extend_schema(tags=TAG, summary="Delete a subscription and its delivery log", responses={204: None})
    def destroy(self, request: Request, subscription_id: str) -> Response:
        services.subscription_delete(subscription=self._get(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=TAG, summary="Rotate the signing secret (the old one keeps signing for 24 h)",
                   request=None, responses=SubscriptionWithSecretOut)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, subscription_id: str) -> Response:
        _no_body(request)
        sub, secret = services.subscription_rotate_secret(subscription=self._get(subscription_id))
        return Response(SubscriptionWithSecretOut(sub, context={"signing_secret": secret}).data)

    @extend_schema(tags=TAG, summary="Send a webhook.test event now and return the attempt",
                   request=None, responses=TestResultOut)
    @action(detail=True, methods=["post"])
    def test(self, request: Request, subscription_id: str) -> Response:
        _no_body(request)
        attempt = dispatch.subscription_test_send(subscription=self._get(subscription_id))
        return Response(TestResultOut(attempt).data)

    @extend_schema(tags=TAG, summary="The delivery log: deliveries, newest first, with every attempt",
                   parameters=PAGE_PARAMS, responses=DeliveryPage)
    @action(detail=True, methods=["get"], is_collection=True)
    def deliveries(self, request: Request, subscription_id: str) -> Response:
        return Response(paginate(
            selectors.delivery_log(subscription=self._get(subscription_id)), params=request.query_params,
            order=("-created_at", "-id"), serialize=lambda rows: DeliveryOut(rows, many=True).data,
        ))


def _no_body(request: Request) -> None:
    validate_body(EmptyIn, request.data if request.data is not None else {})


class DeliveryViewSet(_OwnedViewSet):
    # /event-callbacks/deliveries/{delivery_id}/redeliver.

    lookup_url_kwarg = "delivery_id"

    @extend_schema(tags=TAG, summary="Send a delivery again now (same webhook-id)", request=None,
                   responses={202: DeliveryOut})
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, delivery_id: str) -> Response:
        _no_body(request)
        delivery = selectors.delivery_get(owner=self.owner(), delivery_id=delivery_id)
        delivery = dispatch.delivery_redeliver(delivery=delivery)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


class EventFeedView(ApiView):
    """The pull feed (SPEC §9): the same envelopes as the callbacks, in order."""

    permission_classes = [require_scope(Scope.SUPPORT)]

    @extend_schema(tags=TAG, summary="Your events in order, after a cursor", responses=EventFeedOut, parameters=[
        OpenApiParameter("after", str, description="next_cursor of the previous page; omit to start at the beginning"),
        OpenApiParameter("limit", int, description="1–100, default 25")])
    def get(self, request: Request) -> Response:
        limit = parse_limit(request.query_params.get("limit"))
        after = _decode_feed_cursor(request.query_params.get("after"))
        events = selectors.event_feed(agent=self.agent, after_seq=after, limit=limit + 1)
        has_more = len(events) > limit
        events = events[:limit]
        last = events[-1].seq if events else after
        return Response({
            # The stored envelope is the exact JSON every callback carried.
            "results": [_parsed(e.envelope) for e in events],
            "next_cursor": _encode_feed_cursor(last) if last else None,
            "has_more": has_more,
        })


def _parsed(envelope: str) -> Any:
    return json.loads(envelope)


def _encode_feed_cursor(seq: int) -> str:
    return f"ev_{seq}"


def _decode_feed_cursor(raw: str | None) -> int:
    if not raw:
        return 0
    if raw.startswith("ev_") and raw[3:].isdigit() and len(raw) < 24:
        return int(raw[3:])
    raise InvalidInput("after is not a cursor this feed returned.", details={"after": ["Invalid cursor."]})


# --- staff (/api/admin/): staff-scope subscriptions ------------------------------------------------

class StaffSubscriptionViewSet(SubscriptionViewSet):
    permission_classes = [IsStaff]
    staff_scope = True


class StaffDeliveryViewSet(DeliveryViewSet):
    permission_classes = [IsStaff]
    staff_scope = True
