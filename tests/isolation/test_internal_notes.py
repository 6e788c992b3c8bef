"""Operators' internal notes never reach a customer: no API response, no tool result, no webhook, no feed entry.

Real commits (`transaction=True`): webhook fan-out and delivery run after commit, as in production
(eagerly, to a loopback receiver). The notes are written through the operators' service; each
carries a unique marker, and the marker is then looked for everywhere the customer can look.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.selectors import principal_for_token
from accounts.services import staff_token_create
from agent.tools import REGISTRY, ToolContext, tool_call
from demo_sessions.models import Message
from tests.conftest import make_agent
from tests.webhook_receiver import WebhookReceiver
from tickets import bounty, operators
from tickets.models import Ticket
from webhooks.selectors import Owner
from webhooks.services import subscription_create

from .conftest import ALL_SUPPORT
from .routes import api_routes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

TOOL_ARGS = {  # every registered tool must be here, so a new one is looked at too
    "submit_support_request": lambda ids: {"category": "other", "subject": "Another one", "body": "Hi."},
    "cookbook_search": lambda ids: {"query": "support ticket"},
    "cookbook_read": lambda ids: {"slug": "support_tickets"},
    "list_support_tickets": lambda ids: {},
    "get_support_ticket": lambda ids: {"ticket_id": ids["ticket_id"][0]},
    "append_support_message": lambda ids: {"support_session_id": ids["session_id"][0], "text": "tool follow-up"},
    "agents_balance": lambda ids: {},
    "resolve_support_ticket": lambda ids: {"ticket_id": ids["ticket_id"][0]},
    "close_support_ticket": lambda ids: {"ticket_id": ids["ticket_id"][0]},
}


def _note(ticket_id: str, operator: Any, marker: str, **extra: Any) -> None:
    ticket = Ticket.objects.get(public_id=ticket_id)
    operators.ticket_reply(ticket=ticket, staff_user=operator, text=f"internal {marker} {uuid.uuid4().hex}",
                           internal=True, **extra)


def test_internal_notes_never_reach_the_customer(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    marker = f"INTERNAL-{uuid.uuid4().hex}"
    alice = make_agent("Alice's agent")
    operator = get_user_model().objects.create_user(username="olga", password="pw-olga-1", is_staff=True,
                                                    first_name="Olga", last_name="Operator")
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token_create(user=operator)[1]}")
    seen: list[tuple[str, str]] = []  # (where, body) of everything the customer got

    def customer(method: str, url: str, body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        response = getattr(alice.client, method)(url, body, format="json") if body is not None \
            else getattr(alice.client, method)(url)
        assert response.status_code == expect, (method, url, response.content)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        seen.append((f"{method.upper()} {url}", content.decode()))
        return response

    with WebhookReceiver() as rx:
        subscription_create(owner=Owner(agent=alice.agent), label="alice", event_types=ALL_SUPPORT,
                            callback_url=rx.url("/alice"))
        enrich = customer("post", "/api/v1/demo/sessions", {"title": "Exports"}, expect=201).json()["id"]
        ticket = customer("post", "/api/v1/support/tickets", {
            "category": "bug", "subject": "Export times out", "body": "After 30 s the CSV export fails.",
            "source_session_id": enrich}, expect=201).json()
        tid, sid = ticket["ticket_id"], ticket["support_session_id"]

        # Activity around the notes: every kind of customer-visible change, and a note last of all.
        _note(tid, operator, marker)
        upload = alice.client.post(f"/api/v1/demo/sessions/{sid}/attachments",
                                   {"file": SimpleUploadedFile("export.csv", b"id,total\n1,2\n", "text/csv")},
                                   format="multipart")
        assert upload.status_code == 201, upload.content
        customer("post", f"/api/v1/demo/sessions/{sid}/messages",
                 {"text": "Any news?", "attachments": [upload.json()["id"]]}, expect=201)
        _note(tid, operator, marker, support_status="pending")  # status change emitted, note not
        reply = staff.post(f"/api/admin/support/tickets/{tid}/reply", {"text": "Looking into it."}, format="json")
        assert reply.status_code == 201, reply.content
        staff_file = staff.post(f"/api/admin/support/tickets/{tid}/attachments", {
            "file": SimpleUploadedFile(f"{marker}.txt", marker.encode(), "text/plain")}, format="multipart")
        assert staff_file.status_code == 201, staff_file.content
        unattached = staff.post(f"/api/admin/support/tickets/{tid}/attachments", {
            "file": SimpleUploadedFile(f"draft-{marker}.txt", marker.encode(), "text/plain")}, format="multipart")
        assert unattached.status_code == 201, unattached.content
        assert staff.post(f"/api/admin/support/tickets/{tid}/reply", {
            "text": f"note {marker}", "internal": True, "attachments": [staff_file.json()["id"]]},
                          format="json").status_code == 201
        assert staff.patch(f"/api/admin/support/tickets/{tid}", {"priority": "high"}, format="json").status_code == 200
        customer("post", f"/api/v1/demo/sessions/{sid}/messages", {"text": "Still failing."}, expect=201)
        bounty.bounty_decide(ticket=Ticket.objects.get(public_id=tid), staff_user=operator, decision="confirm",
                             note=f"bounty {marker}")
        customer("post", "/api/v1/demo/chat", {"session_id": enrich, "message": f"What is the status of {tid}?"})
        _note(tid, operator, marker)

        # The notes exist (so "not found anywhere" below means something) ...
        transcript = staff.get(f"/api/admin/support/tickets/{tid}").content.decode()
        data = json.loads(transcript)
        for message in data["messages"]:
            message.pop("text_html", None)  # each text again, rendered
        # the four notes, the (staff-only) bounty decision note and the note's file name
        assert json.dumps(data).count(marker) == 6
        assert Message.objects.filter(session_id=sid, internal=True).count() == 4

        # ... and the customer looks everywhere: every GET route with its ids, the tools, /demo, the feed.
        ids = {"ticket_id": [tid], "session_id": [sid, enrich], "subscription_id": [], "delivery_id": [],
               "key_id": [], "attachment_id": [upload.json()["id"]]}
        hooks = customer("get", "/api/v1/event-callbacks/subscriptions").json()["results"]
        ids["subscription_id"] = [h["id"] for h in hooks]
        deliveries = customer("get", f"/api/v1/event-callbacks/subscriptions/{hooks[0]['id']}/deliveries").json()
        ids["delivery_id"] = [d["id"] for d in deliveries["results"]]
        ids["key_id"] = [customer("post", "/api/v1/agents/usage-keys", {"label": "k", "scopes": ["support"]},
                                  expect=201).json()["id"]]
        for route in api_routes():
            if route.is_admin or "GET" not in route.methods:
                continue
            for url in route.urls(ids):
                customer("get", url)
        # An internal note's file, and a staff upload not yet on any message: not the customer's.
        for staff_only in (staff_file.json()["id"], unattached.json()["id"]):
            hidden = customer("get", f"/api/v1/attachments/{staff_only}", expect=404)
            assert hidden.json()["code"] == "NOT_FOUND"
        principal = principal_for_token(raw_token=alice.token)
        assert set(REGISTRY) == set(TOOL_ARGS), "add new tools to TOOL_ARGS"
        for name, args in TOOL_ARGS.items():
            result = tool_call(name=name, arguments=args(ids), context=ToolContext(principal=principal))
            seen.append((f"tool {name}", json.dumps(result, default=str)))
        demo = alice.client.get(f"/demo?session={sid}")
        seen.append(("/demo", demo.content.decode()))
        after, pages = "", 0
        while True:
            page = customer("get", f"/api/v1/events?after={after}&limit=100").json()
            pages += 1
            if not page["has_more"]:
                break
            after = page["next_cursor"]
        customer("post", f"/api/v1/support/tickets/{tid}/close", expect=200)
        _note(tid, operator, marker)
        customer("get", f"/api/v1/demo/sessions/{sid}")
        customer("get", "/api/v1/demo/sessions")

        received = rx.wait_for(6)

    leaks = [where for where, body in seen if marker in body]
    assert leaks == [], f"internal notes reached the customer at {leaks}"
    webhook_leaks = [r.path for r in received if marker.encode() in r.body]
    assert webhook_leaks == []
    types = {json.loads(r.body)["type"] for r in received}
    assert types == set(ALL_SUPPORT)  # the receiver saw every kind of event, none with a note
    feed = [body for where, body in seen if where.startswith("GET /api/v1/events")]
    assert feed and all(marker not in body for body in feed)
    assert pages >= 1
