"""Forms of the /ui-traffic Support Inbox. They only adapt input: rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate

from accounts.models import TokenKind
from accounts.selectors import principal_for_token
from accounts.signin_guard import address_of, signin_blocked, signin_failed, throttled_message

from .bounty import DECISIONS, MAX_NOTE_CHARS
from .models import Category, Priority, TicketStatus
from .operators import MAX_REPLY_CHARS
from .queues import MAX_VIEW_NAME_CHARS, QUEUES
from .replies import MAX_TITLE_CHARS
from .search import MAX_QUERY_CHARS

SIGN_IN_REFUSED = "Sign-in refused: use a staff token, or the username and password of an active staff account."


def _blank_first(choices: list[tuple[str, str]], label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


class TokenSignInForm(forms.Form):
    token = forms.CharField(label="Staff token", max_length=200, strip=True,
                            widget=forms.PasswordInput(attrs={"autocomplete": "off", "placeholder": "411s_…"}))

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        address = address_of(self.request)
        if signin_blocked(username=None, address=address):
            raise forms.ValidationError(throttled_message(), code="throttled")
        token = data.get("token") or ""
        principal = principal_for_token(raw_token=token) if token else None
        if principal is None or principal.kind != TokenKind.STAFF:
            signin_failed(username=None, address=address)
            raise forms.ValidationError(SIGN_IN_REFUSED)
        self.user = principal.staff_user
        return data


class PasswordSignInForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if signin_blocked(username=data.get("username"), address=address_of(self.request)):
            raise forms.ValidationError(throttled_message(), code="throttled")
        user = None
        if data.get("username") and data.get("password"):
            user = authenticate(self.request, username=data["username"], password=data["password"])
        if user is None or not (user.is_active and user.is_staff):
            raise forms.ValidationError(SIGN_IN_REFUSED)
        self.user = user
        return data


class InboxFilterForm(forms.Form):
    """GET parameters of the inbox; invalid values are simply ignored (a bookmarked URL never 500s)."""

    view = forms.ChoiceField(required=False, choices=[(key, q.label) for key, q in QUEUES.items()])
    status = forms.ChoiceField(required=False, choices=_blank_first(TicketStatus.choices, "Any status"))
    category = forms.ChoiceField(required=False, choices=_blank_first(Category.choices, "All categories"))
    assignee = forms.CharField(required=False, max_length=150)
    q = forms.CharField(required=False, max_length=MAX_QUERY_CHARS, label="Search")
    cursor = forms.CharField(required=False, max_length=500)

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ReplyForm(forms.Form):
    text = forms.CharField(max_length=MAX_REPLY_CHARS, widget=forms.Textarea(attrs={"rows": 5}), label="Message")
    visibility = forms.ChoiceField(
        choices=[("public", "Public reply (the customer sees it)"), ("internal", "Internal note (staff only)")],
        initial="public", widget=forms.RadioSelect,
    )
    support_status = forms.ChoiceField(
        required=False, label="Then set status",
        choices=_blank_first(TicketStatus.choices, "Default (open → pending)"),
    )
    # The "Send and resolve" button: the same reply, then status resolved.
    resolve = forms.BooleanField(required=False)


class TicketUpdateForm(forms.Form):
    """Every field is optional: a quick action (Resolve, Assign to me) posts only the field it changes."""

    support_status = forms.ChoiceField(required=False, choices=TicketStatus.choices, label="Status")
    assignee = forms.ChoiceField(required=False, label="Assignee")
    priority = forms.ChoiceField(required=False, choices=Priority.choices)

    def __init__(self, *args: Any, staff_users: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = [("", "Unassigned"), *staff_users]


class BountyForm(forms.Form):
    decision = forms.ChoiceField(choices=[(d, d) for d in DECISIONS])
    note = forms.CharField(required=False, max_length=MAX_NOTE_CHARS)


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_CHARS)
    body = forms.CharField(max_length=MAX_REPLY_CHARS, widget=forms.Textarea(attrs={"rows": 6}), label="Text")
    set_status = forms.ChoiceField(required=False, label="Then set status",
                                   choices=_blank_first(TicketStatus.choices, "Leave to the default rule"))


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=MAX_VIEW_NAME_CHARS)
