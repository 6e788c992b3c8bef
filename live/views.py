"""The inbox's presence heartbeat: `POST /ui-traffic/tickets/{number}/presence` (state=viewing|typing|left)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from support_project.domain import NotFound
from tickets.operators import staff_display_name
from tickets.search import ticket_get_for_staff
from tickets.views import staff_required

from .presence import HEARTBEAT_SECONDS, STATES, presence_beat


@require_POST
@staff_required
def presence(request: HttpRequest, ref: str) -> HttpResponse:
    state = request.POST.get("state", "")
    if state not in STATES:
        return JsonResponse({"code": "VALIDATION_ERROR", "message": "Unknown presence state.",
                             "details": {"state": [f"Must be one of: {', '.join(STATES)}."]}}, status=400)
    try:
        ticket = ticket_get_for_staff(ref=ref)
    except NotFound as exc:
        raise Http404("No such ticket.") from exc
    presence_beat(ticket_number=ticket.number, username=request.user.get_username(),
                  name=staff_display_name(request.user), state=state)
    return JsonResponse({"heartbeat_seconds": HEARTBEAT_SECONDS})
