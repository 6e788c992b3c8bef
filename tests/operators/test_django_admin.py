"""Django admin: tickets (bounty actions through the same service), sessions and messages."""

from __future__ import annotations

import pytest

from billing.models import LedgerEntry
from tickets import operators
from tickets.models import Ticket

from .conftest import open_ticket

pytestmark = pytest.mark.django_db

CHANGELIST = "/django-admin/tickets/ticket/"


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_confirm_bounty_action_queues_eligible_tickets_and_reports_the_rest(
        agent_a, admin_client, django_capture_on_commit_callbacks):
    bug1, bug2 = open_ticket(agent_a), open_ticket(agent_a, subject="Another bug")
    billing = open_ticket(agent_a, category="billing")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, {"action": "confirm_bounty",
                                                  "_selected_action": [bug1.pk, bug2.pk, billing.pk]}, follow=True)
    assert _messages(response) == [
        "Confirmed and queued the credit for 2 bounties; skipped 1 not eligible (not bugs)."]
    assert sorted(LedgerEntry.objects.filter(kind="bug_bounty").values_list("reference", flat=True)) == sorted(
        [bug1.public_id, bug2.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, {"action": "confirm_bounty", "_selected_action": [bug1.pk]},
                                     follow=True)
    assert _messages(response) == [
        "Confirmed and queued the credit for 0 bounties; skipped 1 already confirmed or awarded."]
    assert LedgerEntry.objects.filter(kind="bug_bounty").count() == 2


def test_reject_bounty_action_refuses_awarded_ones(agent_a, admin_client, django_capture_on_commit_callbacks):
    paid, fresh = open_ticket(agent_a), open_ticket(agent_a, subject="Fresh")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(CHANGELIST, {"action": "confirm_bounty", "_selected_action": [paid.pk]})
    response = admin_client.post(CHANGELIST, {"action": "reject_bounty", "_selected_action": [paid.pk, fresh.pk]},
                                 follow=True)
    assert _messages(response)[-1] == "Rejected 1 bounty; refused 1 already awarded."
    assert dict(Ticket.objects.values_list("pk", "bounty_status")) == {paid.pk: "awarded", fresh.pk: "rejected"}


def test_ticket_pages_render_with_an_escaped_transcript(agent_a, staff, admin_client):
    ticket = open_ticket(agent_a, subject="<b>bold</b>", body="<script>x()</script>")
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="note", internal=True)
    assert admin_client.get(CHANGELIST).status_code == 200
    assert admin_client.get(f"{CHANGELIST}?status__exact=open&category__exact=bug&q=bold").status_code == 200
    html = admin_client.get(f"{CHANGELIST}{ticket.pk}/change/").content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "[INTERNAL NOTE]" in html
    assert f'href="/ui-traffic/tickets/{ticket.number}"' in html


def test_session_and_message_admin_pages_render(agent_a, admin_client):
    ticket = open_ticket(agent_a)
    assert admin_client.get("/django-admin/demo_sessions/demosession/?session_kind__exact=support").status_code == 200
    page = admin_client.get(f"/django-admin/demo_sessions/demosession/{ticket.support_session_id}/change/")
    assert page.status_code == 200
    assert "After 30 s the CSV export fails." in page.content.decode()
    assert admin_client.get("/django-admin/demo_sessions/message/?author__exact=user&q=export").status_code == 200
