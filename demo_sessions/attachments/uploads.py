"""Reading multipart uploads without ever holding more than the limit.

`AttachmentUploadHandler` is a Django upload handler that counts bytes as they arrive, hashes them,
writes them to a temporary file (in memory up to 1 MiB, then on disk) and stops the request with a
413 the moment a file passes its limit: on the declared Content-Length before anything is read,
then while streaming. `read_upload` runs Django's multipart parser with only this handler and
returns the received files; a failure closes (and so deletes) every temporary file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from support_project.api.errors import UnsupportedMediaType
from support_project.api.upload_limits import MULTIPART_OVERHEAD_BYTES
from support_project.domain import InvalidInput

from .files import filename_problem
from .received import ReceivedFile, too_large


class UnsupportedUpload(UnsupportedMediaType):
    message = "Send the file as multipart/form-data with one part named `file`."


class _StrictMultiPartParser(MultiPartParser):
    """Django's parser, but a file name with path parts or control characters is an error,
    not silently cut down to its last component."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        problem = filename_problem(file_name)
        if problem is not None:
            raise InvalidInput(problem, details={"file": [problem]})
        return file_name


class AttachmentUploadHandler(FileUploadHandler):
    chunk_size = 64 * 1024

    def __init__(self, *, file_fields: tuple[str, ...], max_files: int, max_file_bytes: int,
                 max_total_bytes: int, total_label: str = "file") -> None:
        super().__init__()
        self.file_fields = file_fields
        self.max_files = max_files
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self.total_label = total_label
        self.received: list[ReceivedFile] = []
        self.current: ReceivedFile | None = None
        self.total = 0

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, boundary: Any,
                         encoding: str | None = None) -> None:
        # A declared body that can't fit is refused before a byte of it is read.
        limit = min(self.max_files * self.max_file_bytes, self.max_total_bytes) + MULTIPART_OVERHEAD_BYTES
        if content_length > limit:
            raise too_large(min(self.max_file_bytes, self.max_total_bytes), self.total_label)

    def new_file(self, field_name: str, file_name: str, content_type: str, content_length: int | None,
                 charset: str | None = None, content_type_extra: dict[str, bytes] | None = None) -> None:
        if field_name not in self.file_fields:
            raise InvalidInput(details={field_name: ["Unknown field."]})
        if len(self.received) >= self.max_files:
            reason = "Send exactly one file." if self.max_files == 1 else f"Send at most {self.max_files} files."
            raise InvalidInput(reason, details={field_name: [reason]})
        self.current = ReceivedFile(field_name=field_name, filename=file_name, declared_type=content_type or "")
        self.received.append(self.current)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.current is not None
        self.current.size += len(raw_data)
        self.total += len(raw_data)
        if self.current.size > self.max_file_bytes:
            raise too_large(self.max_file_bytes)
        if self.total > self.max_total_bytes:
            raise too_large(self.max_total_bytes, self.total_label)
        self.current.digest.update(raw_data)
        self.current.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> None:
        # The files are kept in `received` (not request.FILES): nothing else should open them.
        if self.current is not None:
            self.current.file.seek(0)
            self.current = None

    def close_all(self) -> None:
        for received in self.received:
            received.close()


@dataclass
class ParsedUpload:
    files: list[ReceivedFile]
    fields: dict[str, list[str]]

    def close(self) -> None:
        for received in self.files:
            received.close()


def read_upload(request: HttpRequest, *, file_fields: tuple[str, ...], max_files: int, max_file_bytes: int,
                max_total_bytes: int, total_label: str = "file") -> ParsedUpload:
    """Parse a multipart body with the counting handler. Form fields come back for the caller to
    judge; nothing of the body is kept past a failure."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedUpload()
    handler = AttachmentUploadHandler(file_fields=file_fields, max_files=max_files, max_file_bytes=max_file_bytes,
                                      max_total_bytes=max_total_bytes, total_label=total_label)
    try:
        parser = _StrictMultiPartParser(request.META, request, [handler], request.encoding)
        post, _files = parser.parse()
    except MultiPartParserError as exc:
        handler.close_all()
        raise InvalidInput("The multipart body could not be parsed.",
                           details={"file": ["Malformed multipart/form-data body."]}) from exc
    except BaseException:
        handler.close_all()
        raise
    # The request must not try to parse (or re-read) the body later on.
    request._post, request._files = post, _files  # type: ignore[attr-defined]
    for received in handler.received:
        if received.size == 0:
            handler.close_all()
            raise InvalidInput("The file is empty.", details={received.field_name: ["The file is empty."]})
    return ParsedUpload(files=list(handler.received), fields={key: post.getlist(key) for key in post})
