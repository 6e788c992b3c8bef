"""Saved replies: the service (placeholders, status), the inbox pages, Django admin, inserting one into
the reply box, "Send and resolve", and the one-field quick actions (Resolve, Assign to me)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from demo_sessions.models import Message
from support_project.domain import InvalidInput, NotFound
from tickets import operators, replies
from tickets.models import SavedReply

from .conftest import open_ticket

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"


@pytest.fixture
def browser_client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def thanks(staff) -> SavedReply:  # type: ignore[no-untyped-def]
    return replies.saved_reply_create(
        staff_user=staff.user, title="Fixed, thanks",
        body="Hi {customer_name}, ticket {ticket_number} is fixed.\n\n— {operator_name} {not_a_placeholder} {}",
        set_status="resolved",
    )


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode())


# --- the service ----------------------------------------------------------------------------------


def test_placeholders_are_filled_for_the_ticket_and_operator(agent_a, staff, thanks):
    ticket = open_ticket(agent_a)
    rendered = replies.saved_reply_render(reply=thanks, ticket=ticket, staff_user=staff.user)
    assert rendered.text == (f"Hi Alice's agent, ticket #{ticket.number} is fixed.\n\n"
                             "— Olivia Operator {not_a_placeholder} {}")
    assert rendered.support_status == "resolved"


def test_an_operator_without_a_full_name_signs_with_the_username(agent_a, django_user_model):
    ticket = open_ticket(agent_a)
    bare = django_user_model.objects.create_user(username="operator", is_staff=True)
    reply = replies.saved_reply_create(staff_user=bare, title="Sig", body="{operator_name}")
    assert replies.saved_reply_render(reply=reply, ticket=ticket, staff_user=bare).text == "operator"
    assert reply.set_status == ""


@pytest.mark.parametrize(("data", "field"), [
    ({"title": " ", "body": "x"}, "title"),
    ({"title": "t" * 81, "body": "x"}, "title"),
    ({"title": "t", "body": "  "}, "body"),
    ({"title": "t", "body": "x" * 10_001}, "body"),
    ({"title": "t", "body": "x", "set_status": "escalated"}, "set_status"),
    ({"title": "Fixed, thanks", "body": "x"}, "title"),  # taken
])
def test_bad_saved_replies_are_refused_and_change_nothing(staff, thanks, data, field):
    with pytest.raises(InvalidInput) as error:
        replies.saved_reply_create(staff_user=staff.user, **data)
    assert list(error.value.details) == [field]
    assert list(SavedReply.objects.values_list("title", flat=True)) == ["Fixed, thanks"]


def test_update_and_delete(staff, thanks):
    other = replies.saved_reply_create(staff_user=staff.user, title="Other", body="x")
    with pytest.raises(InvalidInput):
        replies.saved_reply_update(reply=other, title="Fixed, thanks", body="y")
    replies.saved_reply_update(reply=other, title="  Renamed ", body=" y ", set_status="pending")
    other.refresh_from_db()
    assert (other.title, other.body, other.set_status) == ("Renamed", "y", "pending")
    replies.saved_reply_delete(reply=other)
    with pytest.raises(NotFound):
        replies.saved_reply_get(reply_id=other.pk)
    with pytest.raises(NotFound):
        replies.saved_reply_get(reply_id="nope")
    assert list(SavedReply.objects.values_list("title", flat=True)) == ["Fixed, thanks"]


# --- managing them from the inbox -----------------------------------------------------------------


def test_operators_add_edit_and_delete_saved_replies_in_the_inbox(staff, browser_client):
    assert "No saved replies yet" in _text(browser_client.get(f"{INBOX}/replies"))
    response = browser_client.post(f"{INBOX}/replies", {"title": "Hello", "body": "Hi {customer_name}",
                                                        "set_status": ""}, follow=True)
    assert "Saved reply “Hello” added." in _text(response)
    reply = SavedReply.objects.get()
    assert (reply.title, reply.body, reply.set_status, reply.created_by_id) == ("Hello", "Hi {customer_name}", "",
                                                                                staff.user.pk)
    page = _text(browser_client.get(f"{INBOX}/replies/{reply.pk}"))
    assert "Edit “Hello”" in page and "{customer_name}" in page
    response = browser_client.post(f"{INBOX}/replies/{reply.pk}", {"title": "Hello again", "body": "Hi",
                                                                   "set_status": "pending"}, follow=True)
    assert "Saved reply “Hello again” updated." in _text(response)
    reply.refresh_from_db()
    assert (reply.title, reply.body, reply.set_status) == ("Hello again", "Hi", "pending")
    response = browser_client.post(f"{INBOX}/replies/{reply.pk}/delete", follow=True)
    assert "Saved reply “Hello again” deleted." in _text(response)
    assert SavedReply.objects.count() == 0
    assert browser_client.get(f"{INBOX}/replies/{reply.pk}").status_code == 404
    assert browser_client.post(f"{INBOX}/replies/{reply.pk}/delete").status_code == 404


def test_bad_input_on_the_replies_page_is_a_message(staff, browser_client, thanks):
    response = browser_client.post(f"{INBOX}/replies", {"title": "Fixed, thanks", "body": "dup"})
    assert response.status_code == 400
    assert "Not saved. A saved reply with this title exists." in _text(response)
    response = browser_client.post(f"{INBOX}/replies", {"title": "", "body": ""})
    assert response.status_code == 400
    assert "Not saved. title: This field is required. body: This field is required." in _text(response)
    assert SavedReply.objects.count() == 1


def test_the_replies_pages_are_staff_only(thanks, django_user_model):
    anon = Client()
    assert anon.get(f"{INBOX}/replies").status_code == 302
    assert anon.post(f"{INBOX}/replies", {"title": "x", "body": "y"}).status_code == 302
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="carl"))
    assert client.get(f"{INBOX}/replies").status_code == 403
    assert client.post(f"{INBOX}/replies/{thanks.pk}/delete").status_code == 403
    assert SavedReply.objects.count() == 1


def test_saved_replies_in_django_admin(staff, thanks, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-root-12345")
    client = Client()
    client.force_login(admin)
    assert "Fixed, thanks" in _text(client.get("/django-admin/tickets/savedreply/"))
    response = client.post("/django-admin/tickets/savedreply/add/", {"title": "From admin", "body": "Hi {operator_name}",
                                                                    "set_status": "closed"})
    assert response.status_code == 302
    made = SavedReply.objects.get(title="From admin")
    assert (made.body, made.set_status, made.created_by_id) == ("Hi {operator_name}", "closed", admin.pk)
    response = client.post("/django-admin/tickets/savedreply/add/", {"title": "From admin", "body": "dup"})
    assert response.status_code == 200 and "already exists" in _text(response)
    assert SavedReply.objects.count() == 2


# --- using them on a ticket ------------------------------------------------------------------------


def test_the_reply_box_lists_saved_replies_and_inserts_one_without_javascript(agent_a, browser_client, thanks):
    ticket = open_ticket(agent_a)
    page = _text(browser_client.get(f"{INBOX}/tickets/{ticket.number}"))
    assert f'<option value="{thanks.pk}">Fixed, thanks (then resolved)</option>' in page
    page = _text(browser_client.get(f"{INBOX}/tickets/{ticket.number}?saved_reply={thanks.pk}"))
    box = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert box == f"Hi Alice's agent, ticket #{ticket.number} is fixed.\n\n— Olivia Operator {{not_a_placeholder}} {{}}"
    assert re.search(r'<option value="resolved" selected>Resolved</option>', page)
    gone = _text(browser_client.get(f"{INBOX}/tickets/{ticket.number}?saved_reply=999999"))
    assert "That saved reply no longer exists." in gone


def test_the_reply_box_script_gets_a_filled_in_reply_as_json(agent_a, browser_client, thanks):
    ticket = open_ticket(agent_a)
    response = browser_client.get(f"{INBOX}/tickets/{ticket.number}/saved-replies/{thanks.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": thanks.pk, "title": "Fixed, thanks", "support_status": "resolved",
        "text": f"Hi Alice's agent, ticket #{ticket.number} is fixed.\n\n— Olivia Operator {{not_a_placeholder}} {{}}",
    }
    assert browser_client.get(f"{INBOX}/tickets/{ticket.number}/saved-replies/999999").status_code == 404
    assert browser_client.get(f"{INBOX}/tickets/99999/saved-replies/{thanks.pk}").status_code == 404
    assert Client().get(f"{INBOX}/tickets/{ticket.number}/saved-replies/{thanks.pk}").status_code == 302


def test_send_and_resolve(agent_a, browser_client):
    ticket = open_ticket(agent_a)
    response = browser_client.post(f"{INBOX}/tickets/{ticket.number}/reply",
                                   {"text": "All fixed.", "visibility": "public", "support_status": "", "resolve": "1"},
                                   follow=True)
    assert "Reply sent; the ticket is now resolved." in _text(response)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.awaiting_operator, ticket.message_count) == ("resolved", False, 2)
    assert Message.objects.filter(session_id=ticket.support_session_id, author="operator").get().text == "All fixed."


def test_send_and_resolve_on_a_closed_ticket_sends_nothing(agent_a, staff, browser_client):
    ticket = open_ticket(agent_a)
    operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, support_status="closed")
    response = browser_client.post(f"{INBOX}/tickets/{ticket.number}/reply",
                                   {"text": "x", "visibility": "public", "resolve": "1"}, follow=True)
    assert "Reply not sent. A staff can't move a ticket from closed to resolved." in _text(response)
    assert Message.objects.filter(session_id=ticket.support_session_id).count() == 1


def test_quick_actions_change_only_the_field_they_send(agent_a, staff, browser_client):
    ticket = open_ticket(agent_a)
    operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, priority="high")
    url = f"{INBOX}/tickets/{ticket.number}"
    response = browser_client.post(f"{url}/update", {"assignee": "olivia"}, follow=True)
    assert "Updated: assignee — → olivia." in _text(response)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee.username) == ("open", "high", "olivia")
    page = _text(browser_client.get(url))
    assert "Assigned to you" in page and "data-key-assign" not in page
    response = browser_client.post(f"{url}/update", {"support_status": "resolved"}, follow=True)
    assert "Updated: status open → resolved." in _text(response)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee.username) == ("resolved", "high", "olivia")
    response = browser_client.post(f"{url}/update", {"assignee": "nobody-here"}, follow=True)
    assert "Nothing changed." in _text(response)
    ticket.refresh_from_db()
    assert ticket.assignee.username == "olivia"


@pytest.mark.parametrize("count", [1, 30])
def test_the_replies_page_runs_a_fixed_number_of_queries(staff, browser_client, django_assert_num_queries, count):
    for i in range(count):
        replies.saved_reply_create(staff_user=staff.user, title=f"Reply {i:02d}", body=f"Text {i}")
    # session, user, the saved replies with their authors
    with django_assert_num_queries(3):
        page = _text(browser_client.get(f"{INBOX}/replies"))
    assert page.count('class="card reply-item"') == count
