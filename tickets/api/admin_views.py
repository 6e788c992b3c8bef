"""Staff ticket API under /api/admin/support/ (SPEC §6). Thin: validate, call a service or selector, shape JSON.

Staff tokens only (`IsStaff`: agent tokens → 403 STAFF_ONLY, no token → 401).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from billing.paywall import to_response
from demo_sessions.api.serializers import AttachmentOut, AttachmentUploadIn
from demo_sessions.attachments import http as attachment_http
from demo_sessions.models import Uploader
from support_project.api.pagination import paginate
from support_project.api.serializers import validate_body

from .. import bounty, operators, search
from ..models import Category, TicketStatus
from .admin_serializers import (
    BountyDecisionOut,
    BountyIn,
    ReplyIn,
    ReplyOut,
    StaffTicketListParams,
    StaffTicketOut,
    StaffTicketPageOut,
    StaffTranscriptOut,
    TicketPatchIn,
    staff_message_json,
    staff_ticket_json,
    staff_ticket_row,
    staff_transcript_json,
)

LIST_ORDER = ("-last_activity_at", "-number")


def _staff_user(request: Request):  # type: ignore[no-untyped-def]
    return request.auth.staff_user


def _reloaded(ticket_id: str):  # type: ignore[no-untyped-def]
    """The ticket with the relations its JSON needs, after a write."""
    return search.ticket_get_for_staff(ref=ticket_id)


class StaffView(APIView):
    permission_classes = [IsStaff]


class StaffTicketListView(StaffView):
    @extend_schema(
        operation_id="staff_tickets_list", summary="All agents' tickets, newest activity first (staff)",
        parameters=[
            OpenApiParameter("status", str, enum=TicketStatus.values),
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter("assignee", str, description='"me", "none" or a staff username'),
            OpenApiParameter("q", str, description="Full-text search (subject, body, messages incl. internal notes)"),
            OpenApiParameter("limit", int), OpenApiParameter("cursor", str),
        ],
        responses=StaffTicketPageOut,
    )
    def get(self, request: Request) -> Response:
        params = validate_body(StaffTicketListParams, request.query_params.dict())
        tickets = search.ticket_list_for_staff(
            status=params.get("status"), category=params.get("category"), assignee=params.get("assignee"),
            q=params.get("q"), staff_user=_staff_user(request),
        )
        page = paginate(tickets, params=request.query_params, order=LIST_ORDER,
                        serialize=lambda rows: [staff_ticket_row(t) for t in rows])
        return Response(page)


class StaffTicketDetailView(StaffView):
    @extend_schema(
        operation_id="staff_tickets_get", summary="A ticket's full transcript, internal notes included (staff)",
        responses=StaffTranscriptOut,
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        return Response(staff_transcript_json(search.ticket_transcript_for_staff(ref=ticket_id)))

    @extend_schema(
        operation_id="staff_tickets_update", summary="Change status, assignee or priority (staff)",
        request=TicketPatchIn, responses=StaffTicketOut,
    )
    def patch(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        data = validate_body(TicketPatchIn, request.data)
        operators.ticket_update_by_staff(
            ticket=ticket, staff_user=_staff_user(request), support_status=data.get("support_status"),
            assignee=data.get("assignee", operators.UNCHANGED), priority=data.get("priority"),
        )
        return Response(staff_ticket_json(_reloaded(ticket.public_id)))


class StaffTicketReplyView(StaffView):
    @extend_schema(
        operation_id="staff_tickets_reply", summary="Reply publicly or add an internal note (staff)",
        request=ReplyIn, responses={201: ReplyOut},
    )
    def post(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        data = validate_body(ReplyIn, request.data)
        message = operators.ticket_reply(
            ticket=ticket, staff_user=_staff_user(request), text=data["text"], internal=data["internal"],
            support_status=data.get("support_status"), attachment_ids=data["attachments"],
        )
        body = {"message": staff_message_json(message), "ticket": staff_ticket_json(_reloaded(ticket.public_id))}
        return Response(body, status=201)


class StaffTicketAttachmentsView(StaffView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="staff_tickets_attachments_create",
        summary="Upload a file into the ticket's thread (staff); attach it with the next reply or internal note",
        request={"multipart/form-data": AttachmentUploadIn}, responses={201: AttachmentOut},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     description="≤255 chars; a retried upload replays the first answer for 24 h")],
    )
    def post(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        stored = attachment_http.upload_from_request(request._request, session=ticket.support_session,
                                                     uploader=Uploader.STAFF, staff_user=_staff_user(request))
        return to_response(stored)


class StaffTicketBountyView(StaffView):
    @extend_schema(
        operation_id="staff_tickets_bounty", summary="Confirm or reject a bug bounty (staff)",
        request=BountyIn, responses=BountyDecisionOut,
    )
    def post(self, request: Request, ticket_id: str) -> Response:
        ticket = search.ticket_get_for_staff(ref=ticket_id)
        data = validate_body(BountyIn, request.data)
        decision = bounty.bounty_decide(ticket=ticket, staff_user=_staff_user(request), decision=data["decision"],
                                        note=data.get("note", ""))
        return Response({"ticket": staff_ticket_json(_reloaded(ticket.public_id)),
                         "changed": decision.changed, "queued": decision.queued})
