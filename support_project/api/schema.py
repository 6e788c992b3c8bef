"""OpenAPI post-processing: every operation documents the SPEC §1 error envelope."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "details", "request_id"],
    "properties": {
        "code": {"type": "string", "examples": ["VALIDATION_ERROR"]},
        "message": {"type": "string"},
        "details": {"type": "object", "additionalProperties": True},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}


def postprocess_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    error_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("4XX", {"description": "Client error (SPEC §1 envelope).", **error_ref})
            responses.setdefault("5XX", {"description": "Server or dependency error (SPEC §1 envelope).", **error_ref})
    return result


class ApiAutoSchema(AutoSchema):
    """The schema class of every API viewset.

    A collection answers an object (`{"results", "next_cursor"}`), never a bare array, so nothing is
    wrapped in an array; a GET on a collection — the `list` action, or an action declared with
    `is_collection=True` — is `…_list` rather than `…_retrieve`, as the operation ids always were.
    """

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False

    def get_override_parameters(self) -> list[Any]:
        # Creating POSTs of the base viewset's idempotency mechanism document the header (its
        # format comes from support_project.api.schema_exact).
        parameters = list(super().get_override_parameters())
        view = self.view
        if self.method == "POST" and getattr(view, "action", None) in getattr(view, "idempotent_actions", ()):
            parameters.append(OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER,
                description="Replays the first successful answer for 24 h (SPEC §3.4)."))
        return parameters

    def get_operation_id(self) -> str:
        operation_id = str(super().get_operation_id())
        collection = getattr(self.view, "action", None) == "list" or getattr(self.view, "is_collection", False)
        if self.method == "GET" and collection:
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id
