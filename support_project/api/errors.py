"""The one error shape of SPEC §1 and the exceptions that produce it.

Every 4xx/5xx under /api/ is `{"code", "message", "details", "request_id"}`. Services raise
`ApiError` subclasses (or DRF's own exceptions); `exception_handler` turns them into the envelope.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a client can act on. Subclass per code; raise anywhere below a view."""

    status_code = 400
    code = "VALIDATION_ERROR"
    message = "The request is invalid."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details or {}
        self.headers = headers or {}
        # Extra top-level keys for codes whose body the SPEC extends (e.g. PAYMENT_REQUIRED).
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(ApiError):
    status_code, code, message = 400, "VALIDATION_ERROR", "The request body is invalid."


class NotFound(ApiError):
    status_code, code, message = 404, "NOT_FOUND", "Not found."


class Conflict(ApiError):
    status_code = 409

    def __init__(self, code: str, message: str, **kwargs: Any) -> None:
        self.code = code
        super().__init__(message, **kwargs)


class InsufficientScope(ApiError):
    status_code, code = 403, "INSUFFICIENT_SCOPE"
    message = "This token lacks the scope this operation needs."


class StaffOnly(ApiError):
    status_code, code, message = 403, "STAFF_ONLY", "This route is for staff tokens only."


class AgentTokenRequired(ApiError):
    status_code, code = 402, "AGENT_TOKEN_REQUIRED"
    message = "This is a paid route: send an agent bearer token (Authorization: Bearer 411_…)."


class PayloadTooLarge(ApiError):
    status_code, code, message = 413, "PAYLOAD_TOO_LARGE", "The request body is larger than 64 KiB."


def request_id_of(request: Any) -> str:
    raw = getattr(request, "_request", request)
    return getattr(raw, "request_id", "") or ""


def error_response(
    request: Any,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message, "details": details or {}}
    body.update(extra or {})
    body["request_id"] = request_id_of(request)
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_details(detail: Any) -> dict[str, Any]:
    """DRF's nested error detail → {"field": ["reason", ...]} with plain strings."""
    if isinstance(detail, dict):
        out: dict[str, Any] = {}
        for key, value in detail.items():
            out[str(key)] = field_details(value) if isinstance(value, dict) else _as_list(value)
        return out
    return {"non_field_errors": _as_list(detail)}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [field_details(v) if isinstance(v, dict) else str(v) for v in value]
    return [str(value)]


_DRF_CODES: dict[type, tuple[int, str, str]] = {
    drf.ParseError: (400, "MALFORMED_JSON", "The request body is not valid JSON."),
    drf.UnsupportedMediaType: (415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."),
    drf.NotAuthenticated: (401, "AUTHENTICATION_REQUIRED", "Send a bearer token: Authorization: Bearer 411_…"),
    drf.AuthenticationFailed: (401, "INVALID_TOKEN", "The bearer token is unknown, revoked or malformed."),
    drf.PermissionDenied: (403, "INSUFFICIENT_SCOPE", "This token may not perform this operation."),
    drf.NotFound: (404, "NOT_FOUND", "Not found."),
    drf.MethodNotAllowed: (405, "METHOD_NOT_ALLOWED", "This method is not allowed on this path."),
    drf.NotAcceptable: (406, "NOT_ACCEPTABLE", "This endpoint answers application/json only."),
    drf.Throttled: (429, "RATE_LIMITED", "Too many requests for this token; slow down."),
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> JsonResponse | None:
    request = context.get("request")
    if isinstance(exc, ApiError):
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details, exc.headers, exc.extra)
    if isinstance(exc, Http404):
        return error_response(request, 404, "NOT_FOUND", "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(request, 403, "INSUFFICIENT_SCOPE", "This token may not perform this operation.")
    if isinstance(exc, RequestDataTooBig):
        return payload_too_large(request)
    if isinstance(exc, drf.ValidationError):
        return error_response(request, 400, "VALIDATION_ERROR", "The request body is invalid.", field_details(exc.detail))
    if isinstance(exc, drf.APIException):
        headers: dict[str, str] = {}
        status, code, message = next(
            (triple for klass, triple in _DRF_CODES.items() if isinstance(exc, klass)),
            (exc.status_code, "ERROR", str(exc.detail)),
        )
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if isinstance(exc, drf.ParseError) and "JSON" not in str(exc.detail):
            message = str(exc.detail)
        return error_response(request, status, code, message, headers=headers)
    from .dependencies import is_dependency_failure, service_unavailable

    if is_dependency_failure(exc):
        return service_unavailable(request, exc)
    logger.exception("unhandled error under /api/", extra={"request_id": request_id_of(request)})
    return internal_error(request)


def payload_too_large(request: HttpRequest | Any) -> JsonResponse:
    return error_response(request, PayloadTooLarge.status_code, PayloadTooLarge.code, PayloadTooLarge.message)


def internal_error(request: HttpRequest | Any) -> JsonResponse:
    return error_response(request, 500, "INTERNAL_ERROR", "Something went wrong on our side; it has been logged.")
