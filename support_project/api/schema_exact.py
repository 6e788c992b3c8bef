"""OpenAPI post-processing: the document states what the server enforces (issue 16 item 14), so
generated clients and fuzzers agree with it. One place for rules that hold across every operation:

* `limit` is an integer 1–100 and `cursor` a non-empty string (support_project.api.pagination);
* every request body refuses unknown fields (`additionalProperties: false`, StrictSerializer);
* `Idempotency-Key` is 1–255 printable ASCII characters without surrounding blanks (the server
  strips blanks and refuses control characters: billing.idempotency.clean_key);
* `source_session_id` is a session id (32 lowercase hex) and `assignee` a user name.
"""

from __future__ import annotations

from typing import Any

IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255,
                          "pattern": r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$"}
FIELD_PATTERNS = {"source_session_id": "^[0-9a-f]{32}$", "assignee": r"^[\w.@+-]+$"}


def _component(result: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return result["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def postprocess_exact(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for param in operation.get("parameters", []):
                if param.get("in") == "query" and param.get("name") == "limit":
                    param["schema"] = {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
                elif param.get("in") == "query" and param.get("name") == "cursor":
                    param["schema"] = {"type": "string", "minLength": 1}
                elif param.get("in") == "header" and param.get("name") == "Idempotency-Key":
                    param["schema"] = dict(IDEMPOTENCY_KEY_SCHEMA)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                body = _component(result, content.get("schema", {}))
                if body.get("type") == "object":
                    body["additionalProperties"] = False
                    for name, pattern in FIELD_PATTERNS.items():
                        if name in body.get("properties", {}):
                            body["properties"][name]["pattern"] = pattern
    return result
