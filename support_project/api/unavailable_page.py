"""The HTML answer to database trouble on pages (issue 16 item 7).

Under /api/ a dependency failure is the SPEC §1 envelope `503 SERVICE_UNAVAILABLE`; on every other
path (the landing page, /demo, /cookbook, the /ui-traffic Support Inbox, the Django admin) it is
this small page: `503` with the same `Retry-After`, rendered without the request so that showing it
needs neither the session nor the database that just failed.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .dependencies import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


def service_unavailable_page(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.warning("dependency failure on a page, answering 503 (request_id=%s, path=%s): %s",
                   getattr(request, "request_id", ""), request.path, exc)
    response = HttpResponse(render_to_string("errors/unavailable.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
