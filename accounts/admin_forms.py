"""The Django admin's sign-in form, with the guessing throttle's message (see signin_guard)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm

from .signin_guard import address_of, signin_blocked, throttled_message


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        if signin_blocked(username=self.data.get("username"), address=address_of(self.request)):
            raise forms.ValidationError(throttled_message(), code="throttled")
        return super().clean()
