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

from . import bounty, operators, search
from .forms import BountyForm, InboxFilterForm, PasswordSignInForm, ReplyForm, TicketUpdateForm, TokenSignInForm
from .models import Category, Ticket, TicketStatus
from .reply_files import read_reply_files, store_reply_files
from .status import Actor, allowed_transitions

PAGE_SIZE = 25
LIST_ORDER = ("-last_activity_at", "-number")
BACKEND = "django.contrib.auth.backends.ModelBackend"

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
    token_form, password_form = TokenSignInForm(prefix="t"), PasswordSignInForm(prefix="p", request=request)
    if request.method == "POST":
        form: TokenSignInForm | PasswordSignInForm
        if request.POST.get("method") == "password":
            form = password_form = PasswordSignInForm(request.POST, prefix="p", request=request)
        else:
            form = token_form = TokenSignInForm(request.POST, prefix="t")
        if form.is_valid():
            login(request, form.user, backend=BACKEND)
            return HttpResponseRedirect(next_url or reverse("inbox"))
    elif request.user.is_authenticated and request.user.is_staff:
        return redirect("inbox")
    return render(request, "inbox/login.html",
                  {"token_form": token_form, "password_form": password_form, "next": next_url})


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


@never_cache
@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    filters = InboxFilterForm(request.GET).filters()
    cursor = filters.pop("cursor", "")
    scope = {"category": filters.get("category"), "assignee": filters.get("assignee"), "q": filters.get("q"),
             "staff_user": request.user}
    tickets = search.ticket_list_for_staff(status=filters.get("status"), **scope)
    try:
        page = paginate(tickets, params={"limit": str(PAGE_SIZE), "cursor": cursor}, order=LIST_ORDER,
                        serialize=lambda rows: rows)
    except InvalidInput:  # a mangled cursor: show the first page rather than an error
        cursor = ""
        page = paginate(tickets, params={"limit": str(PAGE_SIZE)}, order=LIST_ORDER, serialize=lambda rows: rows)
    counts = search.ticket_status_counts(**scope)
    base = {k: v for k, v in filters.items() if k != "status"}
    tabs = [{"label": "All", "value": "", "count": _shown(sum(counts.values()), capped=any(
        n >= search.STATUS_COUNT_CAP for n in counts.values())), "url": "?" + _query(base)}]
    tabs += [{"label": label, "value": value, "url": "?" + _query(base, status=value),
              "count": _shown(counts.get(value, 0), capped=counts.get(value, 0) >= search.STATUS_COUNT_CAP)}
             for value, label in TicketStatus.choices]
    return render(request, "inbox/list.html", {
        "tickets": page["results"],
        "tabs": tabs,
        "filters": filters,
        "status": filters.get("status", ""),
        "categories": Category.choices,
        "staff_usernames": list(search.staff_user_list().values_list("username", flat=True)),
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
    try:
        transcript = search.ticket_transcript_for_staff(ref=ref)
    except NotFound as exc:
        raise Http404("No such ticket.") from exc
    ticket = transcript.ticket
    staff_usernames = list(search.staff_user_list().values_list("username", flat=True))
    update_form = TicketUpdateForm(staff_usernames=staff_usernames, auto_id="ticket-%s", initial={
        "support_status": ticket.status, "priority": ticket.priority,
        "assignee": ticket.assignee.get_username() if ticket.assignee_id else "",
    })
    reachable = {ticket.status, *allowed_transitions(ticket.status, Actor.STAFF)}
    update_form.fields["support_status"].choices = [c for c in TicketStatus.choices if c[0] in reachable]
    return render(request, "inbox/ticket.html", {
        "ticket": ticket,
        "thread": transcript.messages,
        "source_session": transcript.source_session,
        "source_messages": transcript.source_messages,
        "reply_form": ReplyForm(auto_id="reply-%s"),
        "update_form": update_form,
        "balance_usd": usd_str(ticket.agent.balance_micros),
        "charged_usd": usd_str(ticket.charged_micros),
        "bounty_amount_usd": usd_str(settings.BUG_BOUNTY_MICROS),
        "is_bug": ticket.category == Category.BUG,
        "attachment_limits": {"per_message": settings.ATTACHMENT_MAX_PER_MESSAGE,
                              "max_bytes": settings.ATTACHMENT_MAX_BYTES},
    })


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
    try:
        ids = store_reply_files(parsed=parsed, ticket=ticket, staff_user=request.user)
        operators.ticket_reply(ticket=ticket, staff_user=request.user, text=form.cleaned_data["text"],
                               internal=internal, support_status=form.cleaned_data["support_status"] or None,
                               attachment_ids=ids)
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
    staff_usernames = list(search.staff_user_list().values_list("username", flat=True))
    form = TicketUpdateForm(request.POST, staff_usernames=staff_usernames)
    if not form.is_valid():
        messages.error(request, f"Nothing changed. {_form_errors(form)}")
        return redirect(_ticket_url(ticket))
    data = form.cleaned_data
    try:
        result = operators.ticket_update_by_staff(
            ticket=ticket, staff_user=request.user, support_status=data["support_status"],
            assignee=data["assignee"] or None, priority=data["priority"],
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
