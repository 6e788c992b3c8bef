"""The password backend for every browser sign-in (inbox and Django admin), with the guessing
throttle of `signin_guard` in front of Django's ModelBackend."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

from .signin_guard import SignInThrottled, address_of, signin_blocked, signin_failed, signin_succeeded


class ThrottledModelBackend(ModelBackend):
    def authenticate(  # the same signature as ModelBackend's
            self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
            **kwargs: Any) -> User | None:
        address = address_of(request)
        if signin_blocked(username=username, address=address):
            raise SignInThrottled()
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            signin_failed(username=username, address=address)
        elif username:
            signin_succeeded(username=username)
        return user
