"""Django admin for operators (issue #15 item 9): the "Support operators" group, who is in it,
what it can do (award/reject bounties exactly once, read tickets/threads/agents/ledger), /admin/,
labels and read-only pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from accounts.operator_group import OPERATOR_GROUP, OPERATOR_PERMISSIONS, operator_group_sync, sync_after_migrate
from billing.models import LedgerEntry
from tickets.models import Ticket, TicketEvent

from .conftest import open_ticket

pytestmark = pytest.mark.django_db

CHANGELIST = "/django-admin/tickets/ticket/"


def _perms(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def _existing(dotted: tuple[str, ...]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
            if f"{p.content_type.app_label}.{p.codename}" in dotted}


@pytest.fixture
def seeded_operator(tmp_path: Path) -> Any:
    out = tmp_path / "tokens.json"
    call_command("seed_demo", "--json", "--out", str(out), stdout=open(tmp_path / "log", "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=json.loads(out.read_text())["staff_user"])


def _signed_in(user: Any, password: str) -> Client:
    client = Client()
    response = client.post("/django-admin/login/?next=/django-admin/",
                           {"username": user.username, "password": password, "next": "/django-admin/"})
    assert response.status_code == 302 and response["Location"] == "/django-admin/", response.content[:500]
    return client


def test_the_group_has_exactly_the_listed_permissions_that_exist():
    group = Group.objects.get(name=OPERATOR_GROUP)
    assert _perms(group) == _existing(OPERATOR_PERMISSIONS)
    assert {"tickets.view_ticket", "tickets.decide_bounty", "demo_sessions.view_demosession",
            "demo_sessions.view_message", "accounts.view_agent", "billing.view_ledgerentry"} <= _perms(group)
    # The inbox's saved replies (a later migration) joined through the post_migrate sync.
    assert {"tickets.view_savedreply", "tickets.add_savedreply", "tickets.change_savedreply",
            "tickets.delete_savedreply"} <= _perms(group)
    assert not any(p.startswith(("auth.", "webhooks.")) or p.split(".")[1].startswith(("delete_", "add_"))
                   for p in _perms(group) if "savedreply" not in p)


def test_the_sync_after_migrate_restores_the_list_and_drops_extras():
    group = Group.objects.get(name=OPERATOR_GROUP)
    group.permissions.remove(Permission.objects.get(codename="decide_bounty"))
    group.permissions.add(Permission.objects.get(codename="delete_agent"))
    sync_after_migrate(sender=None, using="default")
    assert _perms(group) == _existing(OPERATOR_PERMISSIONS)
    Group.objects.filter(name=OPERATOR_GROUP).delete()
    assert _perms(operator_group_sync()) == _existing(OPERATOR_PERMISSIONS)


def test_seed_demo_and_create_staff_token_put_staff_in_the_group(seeded_operator, tmp_path, django_user_model):
    assert (seeded_operator.is_staff, seeded_operator.is_superuser) == (True, False)
    assert list(seeded_operator.groups.values_list("name", flat=True)) == [OPERATOR_GROUP]
    call_command("create_staff_token", "--user", "sam", "--create", "--password", "pw-sam-12345",
                 stdout=open(tmp_path / "log2", "w"))  # noqa: SIM115
    sam = django_user_model.objects.get(username="sam")
    assert (sam.is_staff, sam.is_superuser, list(sam.groups.values_list("name", flat=True))) == (
        True, False, [OPERATOR_GROUP])
    assert sam.has_perm("tickets.decide_bounty") and not sam.has_perm("tickets.change_ticket")


def test_the_seeded_operator_awards_a_bounty_from_django_admin_exactly_once(
        seeded_operator, agent_a, django_capture_on_commit_callbacks):
    bug, billing = open_ticket(agent_a), open_ticket(agent_a, category="billing")
    client = _signed_in(seeded_operator, "operator-demo")
    changelist = client.get(CHANGELIST)
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert '<option value="confirm_bounty">' in html and '<option value="reject_bounty">' in html
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(CHANGELIST, {"action": "confirm_bounty",
                                                "_selected_action": [bug.pk, billing.pk]}, follow=True)
        assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Confirmed and queued the credit for 0 bounties; skipped 1 already confirmed or awarded; "
        "skipped 1 not eligible (not bugs)."]
    assert list(LedgerEntry.objects.filter(kind="bug_bounty").values_list("reference", "amount_micros",
                                                                            "created_by")) == [
        (bug.public_id, 1_000_000, "operator")]
    assert Ticket.objects.get(pk=bug.pk).bounty_status == "awarded"
    assert list(TicketEvent.objects.filter(ticket=bug).values_list("new", flat=True)) == ["confirmed", "awarded"]
    response = client.post(CHANGELIST, {"action": "reject_bounty", "_selected_action": [bug.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "Rejected 0 bounties; refused 1 already awarded."


def test_without_the_permission_there_are_no_bounty_actions(agent_a, django_user_model):
    bug = open_ticket(agent_a)
    reader = django_user_model.objects.create_user(username="reader", password="pw-reader-1", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client = _signed_in(reader, "pw-reader-1")
    html = client.get(CHANGELIST).content.decode()
    assert "confirm_bounty" not in html
    response = client.post(CHANGELIST, {"action": "confirm_bounty", "_selected_action": [bug.pk]})
    assert Ticket.objects.get(pk=bug.pk).bounty_status == "pending_review"
    assert response.status_code in (200, 302)
    assert not LedgerEntry.objects.filter(kind="bug_bounty").exists()


def test_operators_read_but_cannot_edit_and_pages_show_no_save_buttons(seeded_operator, agent_a, admin_client):
    bug = open_ticket(agent_a)
    client = _signed_in(seeded_operator, "operator-demo")
    pages = [f"{CHANGELIST}{bug.pk}/change/", f"/django-admin/accounts/agent/{agent_a.agent.pk}/change/",
             f"/django-admin/demo_sessions/demosession/{bug.support_session_id}/change/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="_save"' not in response.content.decode(), url
    assert 'name="_save"' not in admin_client.get(pages[0]).content.decode()  # not for superusers either
    from webhooks.models import Delivery, Event

    event = Event.objects.order_by("seq").first()
    assert event is not None and not Delivery.objects.exists()
    assert 'name="_save"' not in admin_client.get(f"/django-admin/webhooks/event/{event.pk}/change/").content.decode()
    assert client.get("/django-admin/billing/ledgerentry/").status_code == 200
    for forbidden in ("/django-admin/webhooks/subscription/", "/django-admin/auth/user/",
                      "/django-admin/accounts/apitoken/", f"/django-admin/accounts/agent/{agent_a.agent.pk}/adjust/",
                      f"{CHANGELIST}{bug.pk}/delete/"):
        assert client.get(forbidden).status_code == 403, forbidden
    assert client.post(f"/django-admin/accounts/agent/{agent_a.agent.pk}/adjust/",
                       {"amount_usd": "5.00", "reason": "free money"}).status_code == 403
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 0
    assert client.post(f"/django-admin/accounts/agent/{agent_a.agent.pk}/change/",
                       {"name": "Renamed"}).status_code == 403


def test_labels_are_human(agent_a, admin_client):
    bug = open_ticket(agent_a)
    index = admin_client.get("/django-admin/").content.decode()
    assert "Deliveries" in index and "Deliverys" not in index and "Ledger entries" in index
    ticket_page = admin_client.get(f"{CHANGELIST}{bug.pk}/change/").content.decode()
    assert "Charged micros" not in ticket_page and "$0.01" in ticket_page and "Virtual balance" in ticket_page
    ledger = admin_client.get("/django-admin/billing/ledgerentry/").content.decode()
    assert "Amount micros" not in ledger and "-$0.01" in ledger and "+$0.20" in ledger
    assert "style=" not in ticket_page.split('<div class="readonly">', 1)[-1].split("</fieldset>")[0]


def test_admin_leads_to_django_admin(client):
    for path, target in (("/admin/", "/django-admin/"), ("/admin/tickets/ticket/?q=x", "/django-admin/tickets/ticket/?q=x")):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, target)


def test_the_inbox_links_to_django_admin(staff):
    client = Client()
    client.force_login(staff.user)
    assert 'href="/django-admin/">Django admin</a>' in client.get("/ui-traffic").content.decode()
