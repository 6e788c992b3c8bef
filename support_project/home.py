"""First contact: the landing page at `/` and `/favicon.ico` (browsers ask for it on every site)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.money import usd_str


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {
        "ticket_price_usd": usd_str(settings.TICKET_PRICE_MICROS),
        "bounty_usd": usd_str(settings.BUG_BOUNTY_MICROS),
        "grant_usd": usd_str(settings.AGENT_STARTING_GRANT_MICROS),
        "self_mint": settings.AGENT_SELF_MINT,
    })


@cache
def _favicon_bytes() -> bytes:
    return (settings.BASE_DIR / "static" / "img" / "favicon.ico").read_bytes()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
