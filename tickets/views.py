"""The /ui-traffic Support Inbox (SPEC §6): server-rendered, works without JavaScript.

Staff only: anonymous browsers are sent to the sign-in page, signed-in non-staff users get a
403 page. Every POST is CSRF-protected (the middleware), goes through the same services as the
staff API and answers with a redirect (POST-redirect-GET) plus a Django message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.money import usd_str
from demo_sessions.attachments.services import attachments_discard
from support_project.api.pagination import paginate
from support_project.domain import DomainError, InvalidInput, NotFound

from . import bounty, context, operators, queues, replies, search
from .collisions import ReplyCollision
from .forms import BountyForm, InboxFilterForm, PasswordSignInForm, ReplyForm, TicketUpdateForm, TokenSignInForm
from .models import Category, Ticket, TicketStatus
from .reply_files import read_reply_files, store_reply_files
from .status import Actor, allowed_transitions
from .timeline import thread_with_events

PAGE_SIZE = 25
BACKEND = "accounts.backends.ThrottledModelBackend"

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not (user.is_active and user.is_staff):
            return render(request, "inbox/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


# --- sign-in / sign-out ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    token_form = TokenSignInForm(prefix="t", request=request)
    password_form = PasswordSignInForm(prefix="p", request=request)
    status = 200
    if request.method == "POST":
        form: TokenSignInForm | PasswordSignInForm
        if request.POST.get("method") == "password":
            form = password_form = PasswordSignInForm(request.POST, prefix="p", request=request)
        else:
            form = token_form = TokenSignInForm(request.POST, prefix="t", request=request)
        if form.is_valid():
            login(request, form.user, backend=BACKEND)
            return HttpResponseRedirect(next_url or reverse("inbox"))
        if form.has_error("__all__", code="throttled"):
            status = 429
    elif request.user.is_authenticated and request.user.is_staff:
        return redirect("inbox")
    return render(request, "inbox/login.html",
                  {"token_form": token_form, "password_form": password_form, "next": next_url}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect(settings.LOGIN_URL)


# --- the inbox list -------------------------------------------------------------------------------


def _shown(count: int, *, capped: bool) -> str:
    return f"{count}+" if capped else str(count)


def _query(filters: dict[str, str], **overrides: str | None) -> str:
    merged = {**filters, **overrides}
    return urlencode({k: v for k, v in merged.items() if v})


def staff_choices() -> list[tuple[str, str]]:
    """(username, "Full Name (username)") of active staff, for assignee pickers. One query."""
    rows = search.staff_user_list().values_list("username", "first_name", "last_name")
    return [(u, f"{f'{first} {last}'.strip()} ({u})" if (first or last) else u) for u, first, last in rows]


@never_cache
@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    filters = InboxFilterForm(request.GET).filters()
    cursor = filters.pop("cursor", "")
    view = filters.get("view") or queues.DEFAULT_QUEUE
    queue = queues.QUEUES[view]
    status = filters.get("status")
    # Whatever `search.ticket_list_for_staff` filters on, the view and its counts pass through.
    search_filters: dict[str, Any] = {"category": filters.get("category"), "assignee": filters.get("assignee"),
                                      "q": filters.get("q"), "include_bots": bool(filters.get("include_bots"))}
    tickets = queues.ticket_queue_for_staff(queue=view, staff_user=request.user, status=status, **search_filters)
    try:
        page = paginate(tickets, params={"limit": str(PAGE_SIZE), "cursor": cursor}, order=queue.order,
                        serialize=lambda rows: rows)
    except InvalidInput:  # a mangled cursor: show the first page rather than an error
        cursor = ""
        page = paginate(tickets, params={"limit": str(PAGE_SIZE)}, order=queue.order, serialize=lambda rows: rows)
    counts = queues.ticket_queue_counts(staff_user=request.user, status=status, **search_filters)
    base = {k: v for k, v in filters.items() if k != "view"}
    tabs = [{"label": q.label, "value": key, "hint": q.hint, "url": "?" + _query(base, view=key),
             "count": _shown(counts[key], capped=counts[key] >= queues.COUNT_CAP)}
            for key, q in queues.QUEUES.items()]
    current_query = queues.saved_view_query(filters)
    saved = [{"id": v.id, "name": v.name, "url": "?" + v.query, "current": v.query == current_query}
             for v in queues.saved_view_list(staff_user=request.user)]
    return render(request, "inbox/list.html", {
        "tickets": page["results"],
        "tabs": tabs,
        "view": view,
        "queue": queue,
        "saved_views": saved,
        "saved_view_query": current_query,
        "filters": filters,
        "statuses": TicketStatus.choices,
        "categories": Category.choices,
        "staff_users": staff_choices(),
        "older_url": "?" + _query(filters, cursor=page["next_cursor"]) if page["next_cursor"] else "",
        "newest_url": "?" + _query(filters) if cursor else "",
    })


# --- one ticket -------------------------------------------------------------------------------------


def _ticket_url(ticket: Ticket) -> str:
    return reverse("inbox-ticket", args=[ticket.number])


def _get(ref: str) -> Ticket:
    try:
        return search.ticket_get_for_staff(ref=ref)
    except NotFound as exc:
        raise Http404("No such ticket.") from exc


@never_cache
@require_GET
@staff_required
def ticket_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return _ticket_page(request, ref)


def _ticket_page(request: HttpRequest, ref: str, *, extra: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    try:
        transcript = search.ticket_transcript_for_staff(ref=ref)
    except NotFound as exc:
        raise Http404("No such ticket.") from exc
    ticket = transcript.ticket
    update_form = TicketUpdateForm(staff_users=staff_choices(), auto_id="ticket-%s", initial={
        "support_status": ticket.status, "priority": ticket.priority,
        "assignee": ticket.assignee.get_username() if ticket.assignee_id and ticket.assignee else "",
    })
    allowed = allowed_transitions(ticket.status, Actor.STAFF)
    reachable = {ticket.status, *allowed}
    status_field = update_form.fields["support_status"]
    assert isinstance(status_field, forms.ChoiceField)
    status_field.choices = [c for c in TicketStatus.choices if c[0] in reachable]
    reply_form = ReplyForm(auto_id="reply-%s")
    inserted = _saved_reply_prefill(request, ticket)
    if inserted is not None:
        reply_form = ReplyForm(auto_id="reply-%s", initial={"text": inserted.text,
                                                            "support_status": inserted.support_status})
    return render(request, "inbox/ticket.html", {
        "ticket": ticket,
        "thread": transcript.messages,
        "thread_items": thread_with_events(transcript.messages, transcript.events),  # + the timeline (staff only)
        "source_session": transcript.source_session,
        "source_messages": transcript.source_messages,
        "reply_form": reply_form,
        "reply_text": inserted.text if inserted else "",
        "saved_replies": list(replies.saved_reply_list().values("id", "title", "set_status")),
        "update_form": update_form,
        "can_resolve": TicketStatus.RESOLVED in allowed,
        "assigned_to_me": ticket.assignee_id == request.user.pk,
        "customer": context.customer_context_for_staff(ticket=ticket),
        "charged_usd": usd_str(ticket.charged_micros),
        "bounty_amount_usd": usd_str(settings.BUG_BOUNTY_MICROS),
        "is_bug": ticket.category == Category.BUG,
        "attachment_limits": {"per_message": settings.ATTACHMENT_MAX_PER_MESSAGE,
                              "max_bytes": settings.ATTACHMENT_MAX_BYTES},
        "rating_stars": "★" * (ticket.rating_score or 0) + "☆" * (5 - (ticket.rating_score or 0)),
        # The reply's collision check (tickets/collisions.py): the newest public message shown.
        "last_seen_message_id": next((m.id for m in reversed(transcript.messages) if not m.internal), ""),
        **(extra or {}),
    }, status=status)


def _saved_reply_prefill(request: HttpRequest, ticket: Ticket) -> replies.RenderedReply | None:
    """`?saved_reply=<id>`: the reply box comes prefilled (the no-JavaScript way to insert one)."""
    reply_id = request.GET.get("saved_reply")
    if not reply_id:
        return None
    try:
        reply = replies.saved_reply_get(reply_id=reply_id)
    except NotFound:
        messages.error(request, "That saved reply no longer exists.")
        return None
    return replies.saved_reply_render(reply=reply, ticket=ticket, staff_user=request.user)


def _form_errors(form: Any) -> str:
    return " ".join(f"{'' if field == '__all__' else field + ': '}{' '.join(errs)}" for field, errs in form.errors.items())


def _api_error(error: DomainError) -> str:
    details = " ".join(" ".join(str(r) for r in reasons) for reasons in error.details.values()
                       if isinstance(reasons, list))
    return f"{error.message} {details}".strip()


@csrf_exempt  # the files' upload handler must be in place before the CSRF check reads the body…
@require_POST
@staff_required
def ticket_reply(request: HttpRequest, ref: str) -> HttpResponse:
    ticket = _get(ref)
    try:
        parsed = read_reply_files(request, ticket=ticket)
    except DomainError as error:
        messages.error(request, f"Reply not sent. {_api_error(error)}")
        return redirect(_ticket_url(ticket))
    try:
        return csrf_protect(_ticket_reply)(request, ticket, parsed)  # …so it is checked here
    finally:
        if parsed is not None:
            parsed.close()


def _ticket_reply(request: HttpRequest, ticket: Ticket, parsed: Any) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Reply not sent. {_form_errors(form)}")
        return redirect(_ticket_url(ticket))
    internal = form.cleaned_data["visibility"] == "internal"
    ids: list[str] = []
    support_status = TicketStatus.RESOLVED if form.cleaned_data["resolve"] else form.cleaned_data["support_status"]
    # "Send anyway" after a collision skips the check; an old page without the field is unchecked.
    last_seen = None if request.POST.get("send_anyway") else (request.POST.get("last_seen_message_id") or None)
    try:
        ids = store_reply_files(parsed=parsed, ticket=ticket, staff_user=request.user)
        operators.ticket_reply(ticket=ticket, staff_user=request.user, text=form.cleaned_data["text"],
                               internal=internal, support_status=support_status or None,
                               last_seen_message_id=last_seen, attachment_ids=ids)
    except ReplyCollision as collision:  # nothing sent: show what arrived, keep the draft (not its files)
        attachments_discard(attachment_ids=ids)
        return _ticket_page(request, str(ticket.number), status=409, extra={
            "collision": collision.newer, "reply_text": form.cleaned_data["text"],
            "reply_form": ReplyForm(request.POST, auto_id="reply-%s"),
        })
    except DomainError as error:
        attachments_discard(attachment_ids=ids)
        messages.error(request, f"Reply not sent. {_api_error(error)}")
    else:
        messages.success(request, "Internal note added." if internal
                         else f"Reply sent; the ticket is now {ticket.status}.")
    return redirect(_ticket_url(ticket))


@require_POST
@staff_required
def ticket_update(request: HttpRequest, ref: str) -> HttpResponse:
    ticket = _get(ref)
    form = TicketUpdateForm(request.POST, staff_users=staff_choices())
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {_form_errors(form)}")
        return redirect(_ticket_url(ticket))
    data = form.cleaned_data
    # Fields the form didn't send stay as they are (the quick actions send one field).
    assignee = (data["assignee"] or None) if "assignee" in request.POST else operators.UNCHANGED
    try:
        result = operators.ticket_update_by_staff(
            ticket=ticket, staff_user=request.user, support_status=data["support_status"] or None,
            assignee=assignee, priority=data["priority"] or None,
        )
    except DomainError as error:
        messages.error(request, f"Nothing changed. {_api_error(error)}")
    else:
        if result.changes:
            changed = ", ".join(f"{field.replace('support_', '')} {old or '—'} → {new or '—'}"
                                for field, (old, new) in result.changes.items())
            messages.success(request, f"Updated: {changed}.")
        else:
            messages.info(request, "Nothing to change.")
    return redirect(_ticket_url(ticket))


@require_POST
@staff_required
def ticket_bounty(request: HttpRequest, ref: str) -> HttpResponse:
    ticket = _get(ref)
    form = BountyForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No decision recorded. {_form_errors(form)}")
        return redirect(_ticket_url(ticket))
    try:
        decision = bounty.bounty_decide(ticket=ticket, staff_user=request.user, decision=form.cleaned_data["decision"],
                                        note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, f"No decision recorded. {_api_error(error)}")
        return redirect(_ticket_url(ticket))
    state = decision.ticket.bounty_status
    if form.cleaned_data["decision"] == bounty.CONFIRM:
        amount = usd_str(settings.BUG_BOUNTY_MICROS)
        if state == "awarded":
            messages.success(request, f"Bounty confirmed and ${amount} credited." if decision.changed
                             else "This bounty was already awarded.")
        else:
            messages.success(request, f"Bounty confirmed; the ${amount} credit is queued.")
    else:
        messages.success(request, "Bounty rejected." if decision.changed else "Bounty was already rejected.")
    return redirect(_ticket_url(ticket))
