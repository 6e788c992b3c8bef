from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import PayloadTooLarge


class StrictJSONParser(JSONParser):
    """application/json only; broken JSON → MALFORMED_JSON, oversize (chunked) → 413."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig as exc:
            raise PayloadTooLarge() from exc
        except ParseError as exc:
            raise ParseError("The request body is not valid JSON.") from exc
