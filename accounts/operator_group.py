"""The "Support operators" group: exactly the Django admin permissions an operator needs.

One list, `OPERATOR_PERMISSIONS`, is the whole policy (reasons in docs/DECISIONS.md). The group
is created by a data migration (accounts 0002) and re-synced after every `migrate`
(`post_migrate`, see apps.py), so a permission whose model lands in a later migration — e.g.
saved replies — joins the group as soon as it exists: add its codename here and run migrate.
Codenames that don't exist (yet) are skipped; permissions not in the list are removed.

Staff users made by `seed_demo` and `create_staff_token --create` join the group
(`staff_user_make_operator`). Superusers need no group.
"""

from __future__ import annotations

from typing import Any

OPERATOR_GROUP = "Support operators"

OPERATOR_PERMISSIONS: tuple[str, ...] = (
    # Tickets: read, and decide bug bounties (the admin actions call tickets.bounty.bounty_decide).
    # No change/add/delete: status, assignee, priority and replies go through the Support Inbox.
    "tickets.view_ticket",
    "tickets.decide_bounty",
    # Threads and their messages, read-only (written by the chat, the API and the services).
    "demo_sessions.view_demosession",
    "demo_sessions.view_message",
    # Customers: who they are and their money, read-only.
    "accounts.view_agent",
    "billing.view_ledgerentry",
    # Saved replies (issue #15 item 3) are the operators' own content: they manage them.
    "tickets.view_savedreply",
    "tickets.add_savedreply",
    "tickets.change_savedreply",
    "tickets.delete_savedreply",
)


def operator_group_sync(*, apps: Any = None) -> Any:
    """Create the group if needed and set its permissions to exactly the existing ones listed.

    `apps` is a migration's historical registry (or None for the live models). Returns the group.
    """
    from django.apps import apps as live_apps
    from django.db.models import Q

    registry = apps if apps is not None else live_apps
    group_model, permission_model = registry.get_model("auth", "Group"), registry.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=OPERATOR_GROUP)
    wanted = Q(pk__in=[])
    for dotted in OPERATOR_PERMISSIONS:
        app_label, codename = dotted.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(permission_model.objects.filter(wanted))
    return group


def staff_user_make_operator(*, user: Any) -> None:
    """Put a staff user in the operators group (idempotent; creates the group if a test DB lacks it)."""
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name=OPERATOR_GROUP).first() or operator_group_sync()
    user.groups.add(group)


def sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """`post_migrate` receiver: runs once per app; only the last app's call sees every permission,
    and each call is cheap (two queries), so it simply syncs every time."""
    from django.contrib.auth.models import Permission

    if not Permission.objects.using(kwargs.get("using", "default")).exists():
        return
    operator_group_sync()
