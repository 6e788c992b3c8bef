"""An uploaded file once read: its bytes in a temporary file (in memory up to 1 MiB, then on
disk), its size and SHA-256. No HTTP here: multipart uploads (uploads.py) and inline base64 files
(inline.py) both become one, and the services store it."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any

from support_project.domain import TooLarge

MEMORY_SPOOL_BYTES = 1024 * 1024


def too_large(limit: int, what: str = "file") -> TooLarge:
    mib = limit / (1024 * 1024)
    return TooLarge(
        f"The {what} is larger than the limit of {limit} bytes ({mib:g} MiB); nothing was stored.",
        details={"file": [f"Ensure the {what} has at most {limit} bytes."]},
    )


@dataclass
class ReceivedFile:
    """One uploaded file, fully read and hashed, waiting in a temporary file."""

    field_name: str
    filename: str
    declared_type: str
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    file: IO[bytes] = field(default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=MEMORY_SPOOL_BYTES))

    @property
    def sha256(self) -> str:
        return str(self.digest.hexdigest())

    def close(self) -> None:
        self.file.close()

    @classmethod
    def from_bytes(cls, *, filename: str, declared_type: str, data: bytes) -> ReceivedFile:
        received = cls(field_name="file", filename=filename, declared_type=declared_type)
        received.file.write(data)
        received.file.seek(0)
        received.size = len(data)
        received.digest.update(data)
        return received
