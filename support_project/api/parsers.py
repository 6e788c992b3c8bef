from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import ApiError


class PayloadTooLarge(ApiError):
    status_code, code, message = 413, "PAYLOAD_TOO_LARGE", "The request body is larger than 64 KiB."


class StrictJSONParser(JSONParser):
    """application/json only; broken JSON → MALFORMED_JSON, oversize (chunked) → 413."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig as exc:
            raise PayloadTooLarge() from exc
        except ParseError as exc:
            raise ParseError("The request body is not valid JSON.") from exc
