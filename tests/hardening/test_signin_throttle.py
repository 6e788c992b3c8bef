"""Issue 16 item 9: password guessing on /ui-traffic/login and the Django admin sign-in is
throttled — per user name and per client address, in the shared cache — and then even the right
password is refused until the window passes. A success clears the user name's count."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/ui-traffic/login"
ADMIN_LOGIN = "/django-admin/login/"
INBOX = "/ui-traffic"
THROTTLED = "Too many failed sign-ins"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):  # type: ignore[no-untyped-def]
    settings.SIGNIN_MAX_FAILURES_PER_USER = 5
    settings.SIGNIN_MAX_FAILURES_PER_ADDRESS = 20
    settings.SIGNIN_LOCKOUT_SECONDS = 900
    cache.clear()
    yield
    cache.clear()


def _inbox_password(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"method": "password", "p-username": username, "p-password": password})


def _admin(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/django-admin/"})


def test_the_inbox_refuses_the_right_password_after_five_wrong_ones(staff):
    client = Client()
    for _ in range(5):
        response = _inbox_password(client, "olivia", "wrong")
        assert response.status_code == 200
        assert "Sign-in refused" in response.content.decode()
    response = _inbox_password(client, "olivia", "pw-olivia-1")
    assert response.status_code == 429
    page = response.content.decode()
    assert THROTTLED in page and "15 minutes" in page
    assert client.get(INBOX).status_code == 302  # still signed out


def test_the_django_admin_refuses_the_right_password_after_five_wrong_ones(staff):
    staff.user.is_superuser = True
    staff.user.save()
    client = Client()
    for _ in range(5):
        assert "/django-admin/login/" in _admin(client, "olivia", "wrong").request["PATH_INFO"]
    response = _admin(client, "olivia", "pw-olivia-1")
    assert response.status_code == 200  # the form again, not the redirect into the admin
    assert THROTTLED in response.content.decode()
    assert client.get("/django-admin/").status_code == 302


def test_the_count_is_shared_between_the_inbox_and_the_admin(staff):
    client = Client()
    for _ in range(3):
        _inbox_password(client, "olivia", "wrong")
    for _ in range(2):
        _admin(client, "olivia", "wrong")
    assert THROTTLED in _inbox_password(client, "olivia", "pw-olivia-1").content.decode()


def test_guessing_many_user_names_from_one_address_is_throttled(staff):
    client = Client()
    for i in range(20):
        _inbox_password(client, f"user{i}", "wrong")
    response = _inbox_password(client, "olivia", "pw-olivia-1")
    assert response.status_code == 429
    other_address = Client(REMOTE_ADDR="198.51.100.7")
    assert _inbox_password(other_address, "olivia", "pw-olivia-1").status_code == 302


def test_a_success_clears_the_user_names_count(staff):
    client = Client()
    for _ in range(4):
        _inbox_password(client, "olivia", "wrong")
    assert _inbox_password(client, "olivia", "pw-olivia-1").status_code == 302
    client = Client()
    for _ in range(4):
        _inbox_password(client, "olivia", "wrong")
    assert _inbox_password(client, "olivia", "pw-olivia-1").status_code == 302


def test_staff_token_guessing_counts_per_address(staff):
    client = Client()
    for _ in range(20):
        client.post(LOGIN, {"method": "token", "t-token": "411s_" + "x" * 43})
    response = client.post(LOGIN, {"method": "token", "t-token": staff.token})
    assert response.status_code == 429
    assert THROTTLED in response.content.decode()
