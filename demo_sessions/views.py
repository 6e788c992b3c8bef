"""Pages: /demo (the Enrich Agent and support threads, an API client in the browser) and /connect."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")

# /connect actions (SPEC §5). There is no support wizard: the support-ish actions all explain
# the two real ways to open a ticket.
ENRICH_ACTIONS = ("enrich_agent",)
SUPPORT_ACTIONS = ("support", "support_ticket", "support_wizard", "ticket", "tickets", "open_ticket", "help", "contact")


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    requested = request.GET.get("session", "")
    return render(request, "demo/index.html", {
        "self_mint": settings.AGENT_SELF_MINT,
        "initial_session": requested if SESSION_ID.match(requested) else "",
        "attachment_max_bytes": settings.ATTACHMENT_MAX_BYTES,
    })


@require_GET
def connect(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "").strip().lower()
    if action in ENRICH_ACTIONS:
        session = request.GET.get("session", "")
        query = f"?{urlencode({'session': session})}" if SESSION_ID.match(session) else ""
        return HttpResponseRedirect(f"/demo{query}")
    context = {
        "action": action,
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        "enrich_actions": ENRICH_ACTIONS,
        "support_actions": SUPPORT_ACTIONS,
    }
    if action in SUPPORT_ACTIONS:
        return render(request, "connect/support.html", context)
    return render(request, "connect/unknown.html", context, status=404)
