"""Checks at the edge, before routing: input no view should ever see (issue 16).

* A NUL byte anywhere in the path is `404` — PostgreSQL text can't hold one, so an id carrying it
  can't name anything, and refusing it here covers every route with an id at once (pages, the
  Django admin and the API) instead of each selector.
* Every response carries the strict `Content-Security-Policy` of `settings.CONTENT_SECURITY_POLICY`
  (no inline script or style anywhere: pages load their JS and CSS from /static/).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from support_project.api.errors import error_response
from support_project.api.middleware import is_api_path


class NulBytePathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            if is_api_path(request.path):
                return error_response(request, 404, "NOT_FOUND", "No API endpoint at this path.")
            raise Http404("No such page.")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
