"""Attaching uploads to messages (one message each, own thread, own side), operators' files on
replies and internal notes, and the daily purge of uploads no message claimed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from demo_sessions.models import Attachment, Message
from demo_sessions.tasks import attachments_purge_unattached_task
from tests.conftest import AgentPersona
from tickets.models import Ticket
from webhooks.models import Event

from .conftest import Store, body_of, csv_file, upload

pytestmark = pytest.mark.django_db
ADMIN = "/api/admin/support/tickets"


def _post(client: Any, sid: str, ids: list[str], text: str = "See attached.") -> Any:
    return client.post(f"/api/v1/demo/sessions/{sid}/messages", {"text": text, "attachments": ids}, format="json")


def _state(sid: str) -> Any:
    return ([model_to_dict(m) for m in Message.objects.filter(session_id=sid).order_by("created_at", "id")],
            [model_to_dict(a) for a in Attachment.objects.order_by("id")],
            model_to_dict(Ticket.objects.get(support_session_id=sid)), Event.objects.count())


def _staff_upload(staff: Any, ticket_id: str, name: str = "fix.csv") -> dict[str, Any]:
    response = staff.client.post(f"{ADMIN}/{ticket_id}/attachments", {"file": csv_file(name)}, format="multipart")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_ids_that_are_not_this_threads_free_uploads_are_field_errors(
        agent_a: AgentPersona, agent_b: AgentPersona, thread: dict[str, Any], staff: Any, fs_store: Store) -> None:
    sid = thread["support_session_id"]
    other_thread = agent_a.client.post("/api/v1/support/tickets", {
        "category": "other", "subject": "Second", "body": "Another one."}, format="json").json()
    b_thread = agent_b.client.post("/api/v1/support/tickets", {
        "category": "other", "subject": "B's", "body": "B's."}, format="json").json()
    used = upload(agent_a.client, sid).json()["id"]
    assert _post(agent_a.client, sid, [used]).status_code == 201
    elsewhere = upload(agent_a.client, other_thread["support_session_id"]).json()["id"]
    bs = upload(agent_b.client, b_thread["support_session_id"]).json()["id"]
    staffs = _staff_upload(staff, thread["ticket_id"])["id"]
    fresh = upload(agent_a.client, sid).json()["id"]
    before = _state(sid)
    for bad in (used, elsewhere, bs, staffs, "att_nope"):
        response = _post(agent_a.client, sid, [fresh, bad])
        assert response.status_code == 400, response.content
        assert response.json()["details"] == {"attachments": [f"{bad}: not an unattached upload of this thread."]}
        assert _state(sid) == before  # no message, nothing claimed, no event
    dupes = _post(agent_a.client, sid, [fresh, fresh])
    assert dupes.json()["details"] == {"attachments": ["Each attachment may be listed once."]}
    not_a_list = agent_a.client.post(f"/api/v1/demo/sessions/{sid}/messages", {"text": "x", "attachments": fresh},
                                     format="json")
    assert not_a_list.status_code == 400
    assert _state(sid) == before


def test_an_enrich_chat_takes_no_attachments(agent_a: AgentPersona, thread: dict[str, Any], fs_store: Store) -> None:
    att = upload(agent_a.client, thread["support_session_id"]).json()["id"]
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "chat"}, format="json").json()["id"]
    response = _post(agent_a.client, chat, [att])
    assert (response.status_code, response.json()["details"]) == (
        400, {"attachments": ["Attachments go on support threads only."]})
    assert Message.objects.filter(session_id=chat).count() == 0


def test_a_closed_ticket_takes_no_message_and_claims_nothing(agent_a: AgentPersona, thread: dict[str, Any],
                                                             fs_store: Store) -> None:
    sid = thread["support_session_id"]
    att = upload(agent_a.client, sid).json()["id"]
    assert agent_a.client.post(f"/api/v1/support/tickets/{thread['ticket_id']}/close").status_code == 200
    response = _post(agent_a.client, sid, [att])
    assert (response.status_code, response.json()["code"]) == (409, "TICKET_CLOSED")
    assert Attachment.objects.get(id=att).message_id is None


def test_an_operators_public_reply_carries_files_the_customer_can_download(
        agent_a: AgentPersona, thread: dict[str, Any], staff: Any, store: Store) -> None:
    att = _staff_upload(staff, thread["ticket_id"])
    # Before it is on a public message, it is the operators' draft: not the customer's.
    assert agent_a.client.get(f"/api/v1/attachments/{att['id']}").status_code == 404
    reply = staff.client.post(f"{ADMIN}/{thread['ticket_id']}/reply", {"text": "Fixed; proof attached.",
                                                                       "attachments": [att["id"]]}, format="json")
    assert reply.status_code == 201, reply.content
    assert reply.json()["message"]["attachments"] == [att]
    row = Attachment.objects.get(id=att["id"])
    assert (row.uploader, row.staff_user_id, row.agent_id) == ("staff", staff.user.pk, agent_a.agent.id)
    download = agent_a.client.get(f"/api/v1/attachments/{att['id']}")
    assert download.status_code == 200 and body_of(download) == b"id,total\n1,2.50\n"
    event = json.loads(Event.objects.filter(type="support.message_created").latest("seq").envelope)
    assert event["data"]["message"]["attachments"] == [att]
    staff_view = staff.client.get(f"{ADMIN}/{thread['ticket_id']}").json()["messages"]
    assert staff_view[-1]["attachments"] == [att]


def test_an_internal_notes_files_stay_with_staff(agent_a: AgentPersona, thread: dict[str, Any], staff: Any,
                                                 fs_store: Store) -> None:
    att = _staff_upload(staff, thread["ticket_id"], "customer-db-dump.csv")
    events = Event.objects.count()
    note = staff.client.post(f"{ADMIN}/{thread['ticket_id']}/reply", {
        "text": "Their data, for us only.", "internal": True, "attachments": [att["id"]]}, format="json")
    assert note.status_code == 201, note.content
    assert note.json()["message"]["attachments"] == [att]
    assert Event.objects.count() == events  # an internal note emits nothing
    hidden = agent_a.client.get(f"/api/v1/attachments/{att['id']}")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")
    transcript = agent_a.client.get(f"/api/v1/demo/sessions/{thread['support_session_id']}").content.decode()
    assert att["id"] not in transcript and "customer-db-dump" not in transcript
    assert staff.client.get(f"/api/v1/attachments/{att['id']}").status_code == 200


def test_a_customer_cannot_claim_an_operators_upload_nor_the_reverse(agent_a: AgentPersona, thread: dict[str, Any],
                                                                     staff: Any, fs_store: Store) -> None:
    customers = upload(agent_a.client, thread["support_session_id"]).json()["id"]
    reply = staff.client.post(f"{ADMIN}/{thread['ticket_id']}/reply", {"text": "Mine now?",
                                                                       "attachments": [customers]}, format="json")
    assert (reply.status_code, reply.json()["details"]) == (
        400, {"attachments": [f"{customers}: not an unattached upload of this thread."]})


def test_staff_uploads_are_staff_only(agent_a: AgentPersona, thread: dict[str, Any], fs_store: Store) -> None:
    response = agent_a.client.post(f"{ADMIN}/{thread['ticket_id']}/attachments", {"file": csv_file()},
                                   format="multipart")
    assert (response.status_code, response.json()["code"]) == (403, "STAFF_ONLY")
    assert Attachment.objects.count() == 0


def test_uploads_no_message_claimed_within_a_day_are_purged(agent_a: AgentPersona, thread: dict[str, Any],
                                                            store: Store) -> None:
    sid = thread["support_session_id"]
    old_free, old_used, new_free = (upload(agent_a.client, sid, csv_file(f"{n}.csv")).json()["id"]
                                    for n in ("old-free", "old-used", "new-free"))
    assert _post(agent_a.client, sid, [old_used]).status_code == 201
    Attachment.objects.filter(id__in=[old_free, old_used]).update(created_at=timezone.now() - timedelta(hours=25))
    keys = dict(Attachment.objects.values_list("id", "storage_key"))
    assert attachments_purge_unattached_task.delay().get() == 1
    assert sorted(Attachment.objects.values_list("id", flat=True)) == sorted([old_used, new_free])
    assert store.keys() == sorted([keys[old_used], keys[new_free]])
    assert attachments_purge_unattached_task.delay().get() == 0  # safe to run twice
