"""The "Support operators" group (issue #15 item 9), with exactly `OPERATOR_PERMISSIONS`.

Permissions are normally created after all migrations (post_migrate); they are created here first
so the group is complete on a fresh database too. Existing staff users who aren't superusers join
the group: before it existed, they could only see "You don't have permission to view or edit
anything". Later models in the list join via the post_migrate sync (accounts/operator_group.py).
"""

from django.db import migrations


def create_group(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    from accounts.operator_group import operator_group_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = operator_group_sync(apps=apps)
    User = apps.get_model("auth", "User")  # noqa: N806
    for user in User.objects.filter(is_staff=True, is_superuser=False):
        user.groups.add(group)


def drop_group(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from accounts.operator_group import OPERATOR_GROUP

    apps.get_model("auth", "Group").objects.filter(name=OPERATOR_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("billing", "0001_initial"),
        ("demo_sessions", "0001_initial"),
        ("tickets", "0005_ticketevent_and_decide_bounty_permission"),
    ]

    operations = [migrations.RunPython(create_group, drop_group)]
