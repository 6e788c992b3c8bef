"""The attachment settings fail loudly, the S3 backend is configured from the environment, and the
purge is on the beat schedule."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.settings_env.test_settings_fail_loud import REPO


def _storage(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ATTACHMENT_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "support_project.settings", **variables})
    code = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.STORAGES['attachments'], sort_keys=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("variables", "message"), [
    ({"ATTACHMENT_STORAGE": "ftp"}, "ATTACHMENT_STORAGE='ftp' must be one of: filesystem, s3"),
    ({"ATTACHMENT_STORAGE": "s3"}, "ATTACHMENT_STORAGE=s3 needs ATTACHMENT_S3_BUCKET"),
    ({"ATTACHMENT_MAX_BYTES": "10MB"}, "ATTACHMENT_MAX_BYTES='10MB' is not a whole number"),
    ({"ATTACHMENT_MAX_BYTES": "0"}, "ATTACHMENT_MAX_BYTES=0 is below its minimum of 1"),
])
def test_unreadable_attachment_settings_stop_start_up(variables: dict[str, str], message: str) -> None:
    result = _storage(**variables)
    assert result.returncode == 1 and message in result.stderr


def test_the_s3_backend_comes_from_the_environment() -> None:
    result = _storage(ATTACHMENT_STORAGE="s3", ATTACHMENT_S3_BUCKET="support-files",
                      ATTACHMENT_S3_ENDPOINT_URL="https://s3.example.net", ATTACHMENT_S3_REGION="eu-west-1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '{"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"access_key": null, "addressing_style": null, '
        '"bucket_name": "support-files", "default_acl": null, "endpoint_url": "https://s3.example.net", '
        '"file_overwrite": false, "location": "attachments", "region_name": "eu-west-1", "secret_key": null}}')


def test_the_local_default_is_a_folder_under_the_project() -> None:
    result = _storage()
    assert result.returncode == 0, result.stderr
    assert f'"location": "{REPO / "var" / "attachments"}"' in result.stdout


def test_the_purge_runs_hourly_on_the_beat_schedule() -> None:
    from support_project.celery import app

    assert app.conf.beat_schedule["attachments-purge-unattached"] == {
        "task": "demo_sessions.attachments_purge_unattached", "schedule": 3600.0}
    app.loader.import_default_modules()  # what a worker does at start: autodiscover the apps' tasks
    assert "demo_sessions.attachments_purge_unattached" in app.tasks
