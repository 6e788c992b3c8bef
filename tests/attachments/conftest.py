"""Attachment fixtures: a support thread of agent A, and the `attachments` storage both ways —
a folder, and an S3 bucket on moto's real HTTP server on loopback (django-storages + boto3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import AgentPersona

S3_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


@dataclass
class Store:
    kind: str
    root: Path | None = None
    s3: Any = None
    bucket: str = ""

    def keys(self) -> list[str]:
        """Every object in the attachments storage (to prove nothing is left behind)."""
        if self.kind == "filesystem":
            assert self.root is not None
            return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())
        listing = self.s3.list_objects_v2(Bucket=self.bucket)
        return sorted(o["Key"].removeprefix("attachments/") for o in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        if self.kind == "filesystem":
            assert self.root is not None
            return (self.root / key).read_bytes()
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=f"attachments/{key}")["Body"].read())


@pytest.fixture(scope="session")
def moto_s3_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _filesystem(settings: Any, tmp_path: Path) -> Store:
    root = tmp_path / "attachments"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}
    return Store(kind="filesystem", root=root)


def _s3(settings: Any, endpoint: str) -> Store:
    bucket = f"att-{uuid.uuid4().hex[:16]}"
    client = boto3.client("s3", endpoint_url=endpoint, **S3_CREDENTIALS)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "attachments": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": endpoint, "access_key": "test", "secret_key": "test",
        "region_name": "us-east-1", "location": "attachments", "default_acl": None, "file_overwrite": False,
    }}}
    return Store(kind="s3", s3=client, bucket=bucket)


@pytest.fixture(params=["filesystem", "s3"])
def store(request: Any, settings: Any, tmp_path: Path) -> Store:
    """Each test using it runs once per storage backend."""
    if request.param == "filesystem":
        return _filesystem(settings, tmp_path)
    return _s3(settings, request.getfixturevalue("moto_s3_url"))


@pytest.fixture
def fs_store(settings: Any, tmp_path: Path) -> Store:
    return _filesystem(settings, tmp_path)


@pytest.fixture
def thread(agent_a: AgentPersona) -> dict[str, Any]:
    """Agent A's bug ticket; its `support_session_id` is the thread files go into."""
    response = agent_a.client.post("/api/v1/support/tickets", {
        "category": "bug", "subject": "Export fails", "body": "The CSV export fails after 30 s."}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def csv_file(name: str = "export.csv", data: bytes = b"id,total\n1,2.50\n", content_type: str = "text/csv") -> Any:
    return SimpleUploadedFile(name, data, content_type)


def upload(client: Any, session_id: str, file: Any = None, **extra: Any) -> Any:
    return client.post(f"/api/v1/demo/sessions/{session_id}/attachments", {"file": file or csv_file()},
                       format="multipart", **extra)


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)
