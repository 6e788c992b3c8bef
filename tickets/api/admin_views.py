"""Staff ticket API under /api/admin/support/ (SPEC §6). Thin: validate, call a service or selector, render.

Staff tokens only (`IsStaff`: agent tokens → 403 STAFF_ONLY, no token → 401).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsStaff
from accounts.viewsets import ApiViewSet
from billing.api.idempotent import IdempotentMixin
from billing.paywall import to_response
from demo_sessions.api.serializers import AttachmentUploadIn
from demo_sessions.attachments.http import upload_from_request
from demo_sessions.models import Uploader
from demo_sessions.serializers import AttachmentOut
from support_project.api.pagination import paginate
from support_project.api.serializers import validate_body, validate_query

from .. import bounty, operators, search
from ..models import Category, Ticket, TicketStatus
from .admin_serializers import (
    INCLUDE_BOTS_HELP,
    SEARCH_HELP,
    BountyDecisionOut,
    BountyIn,
    ReplyIn,
    ReplyOut,
    StaffMessageOut,
    StaffTicketListParams,
    StaffTicketListRowOut,
    StaffTicketOut,
    StaffTicketPageOut,
    StaffTranscriptOut,
    TicketPatchIn,
)

LIST_ORDER = ("-last_activity_at", "-number")


def _reloaded(ticket: Ticket) -> StaffTicketOut:
    """The ticket, re-read with the relations its shape needs, after a write."""
    return StaffTicketOut(search.ticket_get_for_staff(ref=ticket.public_id))


class StaffTicketViewSet(IdempotentMixin, ApiViewSet):
    # /api/admin/support/tickets[/{ticket_id}[/reply|/bounty]]: every agent's tickets.

    permission_classes = [IsStaff]
    lookup_url_kwarg = "ticket_id"
    idempotent_actions = frozenset({"reply"})

    @extend_schema(
        operation_id="staff_tickets_list", summary="All agents' tickets, newest activity first (staff)",
        parameters=[
            OpenApiParameter("status", str, enum=TicketStatus.values),
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter("assignee", str, description='"me", "none" or a staff username'),
            OpenApiParameter("q", str, description=SEARCH_HELP),
            OpenApiParameter("include_bots", bool, description=INCLUDE_BOTS_HELP),
            OpenApiParameter("limit", int), OpenApiParameter("cursor", str),
        ],
        responses=StaffTicketPageOut,
    )
    def list(self, request: Request) -> Response:
        params = validate_query(StaffTicketListParams, request.query_params)
        tickets = search.ticket_list_for_staff(
            status=params.get("status"), category=params.get("category"), assignee=params.get("assignee"),
            q=params.get("q"), staff_user=self.staff_user, include_bots=params.get("include_bots", False),
        )
        page = paginate(tickets, params=request.query_params, order=LIST_ORDER,
                        serialize=lambda rows: StaffTicketListRowOut(rows, many=True).data)
        return Response(page)

    @extend_schema(
        operation_id="staff_tickets_get", summary="A ticket's full transcript, internal notes included (staff)",
        responses=StaffTranscriptOut,
    )
    def retrieve(self, request: Request, ticket_id: str) -> Response:
        return Response(StaffTranscriptOut(search.ticket_transcript_for_staff(ref=ticket_id)).data)

    @extend_schema(
        operation_id="staff_tickets_update", summary="Change status, assignee or priority (staff)",
        request=TicketPatchIn, responses=StaffTicketOut,
    )
    def partial_update(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        data = validate_body(TicketPatchIn, request.data)
        operators.ticket_update_by_staff(
            ticket=ticket, staff_user=self.staff_user, support_status=data.get("support_status"),
            assignee=data.get("assignee", operators.UNCHANGED), priority=data.get("priority"),
        )
        return Response(_reloaded(ticket).data)

    @extend_schema(
        operation_id="staff_tickets_reply", summary="Reply publicly or add an internal note (staff)",
        request=ReplyIn, responses={201: ReplyOut},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        data = validate_body(ReplyIn, request.data)
        message = operators.ticket_reply(
            ticket=ticket, staff_user=self.staff_user, text=data["text"], internal=data["internal"],
            support_status=data.get("support_status"), last_seen_message_id=data.get("last_seen_message_id"),
            attachment_ids=data["attachments"],
        )
        body = {"message": StaffMessageOut(message).data, "ticket": _reloaded(ticket).data}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="staff_tickets_attachments_create",
        summary="Upload a file into the ticket's thread (staff); attach it with the next reply or internal note",
        request={"multipart/form-data": AttachmentUploadIn}, responses={201: AttachmentOut},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="≤255 chars; a retried upload replays the first answer for 24 h")],
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request: Request, ticket_id: str) -> Response:
        # The body is streamed by the counting upload handler, never parsed by DRF.
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        stored = upload_from_request(request._request, session=ticket.support_session, uploader=Uploader.STAFF,
                                     staff_user=self.staff_user)
        return to_response(stored)

    @extend_schema(
        operation_id="staff_tickets_bounty", summary="Confirm or reject a bug bounty (staff)",
        request=BountyIn, responses=BountyDecisionOut,
    )
    @action(detail=True, methods=["post"], url_path="bounty")
    def bounty_decide(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        data = validate_body(BountyIn, request.data)
        decision = bounty.bounty_decide(ticket=ticket, staff_user=self.staff_user, decision=data["decision"],
                                        note=data.get("note", ""))
        return Response({"ticket": _reloaded(ticket).data, "changed": decision.changed, "queued": decision.queued})
