"""DRF authentication: `Authorization: Bearer <411_…|411k_…|411s_…>`. Tokens are never logged."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .principal import Principal
from .selectors import principal_for_token


def bearer_from_header(header_value: bytes | str) -> str | None:
    """The token in an Authorization header value; None when no Bearer credential is present.

    Raises AuthenticationFailed for a Bearer header without a usable token.
    """
    if isinstance(header_value, bytes):
        try:
            header_value = header_value.decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("The Authorization header is not ASCII.") from exc
    parts = header_value.split()
    if not parts or parts[0].lower() != "bearer":
        return None
    if len(parts) != 2:
        raise AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
    return parts[1]


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Principal, Principal] | None:
        token = bearer_from_header(get_authorization_header(request))
        if token is None:
            return None
        principal = principal_for_token(raw_token=token)
        if principal is None:
            raise AuthenticationFailed("The bearer token is unknown, revoked or malformed.")
        return principal, principal

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
