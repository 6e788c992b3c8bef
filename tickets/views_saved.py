"""Inbox pages for saved replies (shared by all operators) and saved views (each operator's own).

Like the rest of /ui-traffic: staff only, CSRF-protected POSTs answered with a redirect and a
message; the services in `replies.py` and `queues.py` hold the rules.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from support_project.domain import DomainError, NotFound

from . import queues, replies
from .forms import InboxFilterForm, SavedReplyForm, SavedViewForm
from .models import SavedReply, TicketStatus
from .views import _api_error, _form_errors, _get, staff_required

# --- saved replies ----------------------------------------------------------------------------------


def _reply_or_404(reply_id: int) -> SavedReply:
    try:
        return replies.saved_reply_get(reply_id=reply_id)
    except NotFound as exc:
        raise Http404("No such saved reply.") from exc


def _replies_page(request: HttpRequest, *, form: SavedReplyForm, editing: SavedReply | None,
                  status: int = 200) -> HttpResponse:
    return render(request, "inbox/replies.html", {
        "replies": replies.saved_reply_list().select_related("created_by"),
        "form": form,
        "editing": editing,
        "placeholders": replies.PLACEHOLDERS,
        "statuses": TicketStatus.choices,
    }, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def saved_replies(request: HttpRequest) -> HttpResponse:
    """The list of saved replies, and the form that adds one."""
    if request.method == "GET":
        return _replies_page(request, form=SavedReplyForm(auto_id="sr-%s"), editing=None)
    form = SavedReplyForm(request.POST, auto_id="sr-%s")
    if form.is_valid():
        try:
            reply = replies.saved_reply_create(staff_user=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, f"Not saved. {_api_error(error)}")
        else:
            messages.success(request, f"Saved reply “{reply.title}” added.")
            return redirect("inbox-replies")
    else:
        messages.error(request, f"Not saved. {_form_errors(form)}")
    return _replies_page(request, form=form, editing=None, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def saved_reply_edit(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = _reply_or_404(reply_id)
    if request.method == "GET":
        form = SavedReplyForm(auto_id="sr-%s", initial={"title": reply.title, "body": reply.body,
                                                        "set_status": reply.set_status})
        return _replies_page(request, form=form, editing=reply)
    form = SavedReplyForm(request.POST, auto_id="sr-%s")
    if form.is_valid():
        try:
            replies.saved_reply_update(reply=reply, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, f"Not saved. {_api_error(error)}")
        else:
            messages.success(request, f"Saved reply “{reply.title}” updated.")
            return redirect("inbox-replies")
    else:
        messages.error(request, f"Not saved. {_form_errors(form)}")
    return _replies_page(request, form=form, editing=reply, status=400)


@require_POST
@staff_required
def saved_reply_delete(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = _reply_or_404(reply_id)
    replies.saved_reply_delete(reply=reply)
    messages.success(request, f"Saved reply “{reply.title}” deleted.")
    return redirect("inbox-replies")


@never_cache
@require_GET
@staff_required
def saved_reply_for_ticket(request: HttpRequest, ref: str, reply_id: int) -> HttpResponse:
    """A saved reply filled in for one ticket, as JSON, for the reply box's script."""
    ticket = _get(ref)
    reply = _reply_or_404(reply_id)
    rendered = replies.saved_reply_render(reply=reply, ticket=ticket, staff_user=request.user)
    return JsonResponse({"id": reply.pk, "title": reply.title, "text": rendered.text,
                         "support_status": rendered.support_status})


# --- saved views ------------------------------------------------------------------------------------


def _back_to_inbox(request: HttpRequest, query: str) -> HttpResponse:
    return redirect(reverse("inbox") + (f"?{query}" if query else ""))


@require_POST
@staff_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the filters the list shows now (posted as hidden fields) under a name."""
    filters = InboxFilterForm(request.POST).filters()
    filters.pop("cursor", None)
    query = queues.saved_view_query(filters)
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"View not saved. {_form_errors(form)}")
        return _back_to_inbox(request, query)
    try:
        view = queues.saved_view_create(staff_user=request.user, name=form.cleaned_data["name"], params=filters)
    except DomainError as error:
        messages.error(request, f"View not saved. {_api_error(error)}")
        return _back_to_inbox(request, query)
    messages.success(request, f"View “{view.name}” saved.")
    return _back_to_inbox(request, view.query)


@require_POST
@staff_required
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        queues.saved_view_delete(staff_user=request.user, view_id=view_id)
    except NotFound as exc:
        raise Http404("No such saved view.") from exc
    messages.success(request, "Saved view deleted.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("inbox")
