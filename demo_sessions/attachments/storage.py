"""The `attachments` storage (STORAGES["attachments"]): a folder under the project locally, an
S3-compatible bucket in production (django-storages). Keys never contain the client's file name."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def attachment_storage() -> Storage:
    return storages["attachments"]


def storage_key_for(*, agent_id: str, session_id: str, attachment_id: str) -> str:
    return f"{agent_id}/{session_id}/{attachment_id}"
