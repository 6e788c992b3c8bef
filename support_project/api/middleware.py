"""Request ids, the 64 KiB body limit, and JSON envelopes for errors Django itself answers
(database trouble is a 503 with Retry-After everywhere: the envelope under /api/, a small page
elsewhere)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .dependencies import is_dependency_failure
from .errors import error_response, internal_error, payload_too_large, service_unavailable
from .unavailable_page import service_unavailable_page
from .upload_limits import upload_body_limit

logger = logging.getLogger(__name__)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class RequestIdMiddleware:
    """Echo a sane client X-Request-ID or mint `req_…`; every response carries it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _SANE_REQUEST_ID.match(supplied) else f"req_{secrets.token_hex(12)}"
        request.request_id = request_id  # type: ignore[attr-defined]  # read by errors.request_id_of and logs
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        rate = getattr(request, "rate_limit", None)
        if rate is not None:
            limit, remaining, reset = rate
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
        return response


class ApiBodyGuardMiddleware:
    """Refuse bodies over 64 KiB on /api/ before anything reads them (SPEC §1)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path):
            length = request.META.get("CONTENT_LENGTH") or "0"
            # The upload routes take files up to their own limit (checked here too, on the
            # declared length); the upload handler then counts what actually arrives.
            limit = upload_body_limit(request.path) or settings.API_MAX_BODY_BYTES
            try:
                too_big = int(length) > limit
            except ValueError:
                return error_response(request, 400, "VALIDATION_ERROR", "Content-Length is not a number.")
            if too_big:
                return payload_too_large(request)
        return self.get_response(request)


class ApiErrorPageMiddleware:
    """Django's own 404/405/500 pages become envelopes under /api/ — never HTML there; and a
    dependency failure (support_project.api.dependencies) is a 503 with Retry-After on every path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api_path(request.path) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return error_response(request, 404, "NOT_FOUND", f"No API endpoint at {request.path}.")
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            return error_response(
                request, 405, "METHOD_NOT_ALLOWED", "This method is not allowed on this path.",
                headers={"Allow": allowed} if allowed else None,
            )
        if response.status_code == 413:
            return payload_too_large(request)
        if response.status_code == 400:
            return error_response(request, 400, "VALIDATION_ERROR", "The request is invalid.")
        if response.status_code == 403:
            return error_response(request, 403, "FORBIDDEN", "Forbidden.")
        return internal_error(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            if is_dependency_failure(exception):
                return service_unavailable_page(request, exception)
            return None  # a bug: Django's own 500 page
        if is_dependency_failure(exception):
            return service_unavailable(request, exception)
        logger.exception("unhandled error under /api/ (request_id=%s)", getattr(request, "request_id", ""))
        return internal_error(request)
