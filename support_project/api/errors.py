"""The one error shape of SPEC §1, and the one place domain errors become HTTP.

Every 4xx/5xx under /api/ is `{"code", "message", "details", "request_id"}`. Services raise
`support_project.domain` errors (views may also raise DRF's own exceptions); `exception_handler`
maps them to a status and the envelope. The chat tools and the MCP server use `error_body`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf

from support_project.domain import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PaymentRequired,
    TooLarge,
    Unavailable,
    Unprocessable,
    UpstreamFailed,
)

from .dependencies import RETRY_AFTER_SECONDS, is_dependency_failure

logger = logging.getLogger(__name__)

EXPOSE_PAYMENT_HEADERS = "PAYMENT-REQUIRED, PAYMENT-RESPONSE"


class PayloadTooLarge(TooLarge):
    """Raised by the API edge only (parser, body guard): the body is over API_MAX_BODY_BYTES."""

    message = "The request body is larger than 64 KiB."


class UnsupportedMediaType(DomainError):
    """Raised by the API edge only: a body in a media type the route doesn't read."""

    code, message = "UNSUPPORTED_MEDIA_TYPE", "This route does not read bodies of that media type."


# The one mapping from domain errors to HTTP status codes (first match wins: subclasses first).
_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 400),
    (PaymentRequired, 402),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (UnsupportedMediaType, 415),
    (Unprocessable, 422),
    (UpstreamFailed, 502),
    (Unavailable, 503),
)


def status_of(exc: DomainError) -> int:
    return next((status for klass, status in _STATUS if isinstance(exc, klass)), 400)


def error_body(exc: DomainError) -> dict[str, Any]:
    """The SPEC §1 envelope of a domain error without `request_id`: REST adds it; the chat tools
    and the MCP server return exactly this as their error payload."""
    return {"code": exc.code, "message": exc.message, "details": exc.details, **exc.extra}


def headers_of(exc: DomainError) -> dict[str, str]:
    if not isinstance(exc, PaymentRequired) or exc.x402_required is None:
        return {}
    headers = {"PAYMENT-REQUIRED": exc.x402_required, "Access-Control-Expose-Headers": EXPOSE_PAYMENT_HEADERS,
               "Cache-Control": "no-store"}
    if exc.x402_settlement is not None:
        headers["PAYMENT-RESPONSE"] = exc.x402_settlement
    return headers


def domain_error_response(request: Any, exc: DomainError) -> JsonResponse:
    return error_response(request, status_of(exc), exc.code, exc.message, exc.details, headers_of(exc), exc.extra)


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
    if isinstance(exc, DomainError):
        return domain_error_response(request, exc)
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
        wait = getattr(exc, "wait", None) if isinstance(exc, drf.Throttled) else None
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        if isinstance(exc, drf.ParseError) and "JSON" not in str(exc.detail):
            message = str(exc.detail)
        return error_response(request, status, code, message, headers=headers)
    if is_dependency_failure(exc):
        return service_unavailable(request, exc)
    logger.exception("unhandled error under /api/", extra={"request_id": request_id_of(request)})
    return internal_error(request)


def service_unavailable(request: Any, exc: BaseException) -> JsonResponse:
    """503 for a dependency that is busy or down (support_project.api.dependencies)."""
    logger.warning("dependency failure, answering 503 (request_id=%s): %s", request_id_of(request), exc)
    return error_response(
        request, 503, "SERVICE_UNAVAILABLE", "A service this request needs is busy or unavailable; retry shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def payload_too_large(request: HttpRequest | Any) -> JsonResponse:
    return domain_error_response(request, PayloadTooLarge())


def internal_error(request: HttpRequest | Any) -> JsonResponse:
    return error_response(request, 500, "INTERNAL_ERROR", "Something went wrong on our side; it has been logged.")
