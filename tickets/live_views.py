"""The inbox's presence heartbeat: `POST /ui-traffic/tickets/{number}/presence` (state=viewing|typing|left).

Presence itself (the cache, the broadcast on the staff live stream) is `live.presence`."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from live.presence import HEARTBEAT_SECONDS, STATES, presence_beat
from support_project.domain import NotFound

from .operators import staff_display_name
from .search import ticket_get_for_staff
from .views import staff_required


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
