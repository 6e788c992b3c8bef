"""Who may call what (SPEC §2). Each class raises the exact envelope code itself."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission

from support_project.domain import Forbidden, PaymentRequired

from .principal import Principal


def _principal(request: Any) -> Principal | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Principal) else None


class IsAgent(BasePermission):
    """Any agent token: admin bearer or usage key (scope checks come on top)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        principal = _principal(request)
        if principal is None:
            raise NotAuthenticated()
        if principal.agent is None:
            raise Forbidden("Staff tokens act on /api/admin/ only; use an agent token here.")
        return True


class IsAdminBearer(IsAgent):
    """Admin-only surfaces: usage keys, event callbacks, token rotation (SPEC §2)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        super().has_permission(request, view)
        if not _principal(request).is_admin_bearer:  # type: ignore[union-attr]
            raise Forbidden("This surface needs the admin bearer (411_…); usage keys may not use it.")
        return True


def require_scope(*scopes: str) -> type[BasePermission]:
    """A permission class: an admin bearer, or a usage key holding any of `scopes`."""

    class HasScope(IsAgent):
        def has_permission(self, request: Any, view: Any) -> bool:
            super().has_permission(request, view)
            if not _principal(request).has_any_scope(*scopes):  # type: ignore[union-attr]
                raise Forbidden(
                    f"This usage key lacks the scope this operation needs: {' or '.join(scopes)}.",
                    details={"required_scopes": list(scopes)},
                )
            return True

    HasScope.__name__ = f"HasScope_{'_'.join(s.replace(':', '_') for s in scopes)}"
    return HasScope


def require_principal_scope(principal: Principal, scope: str) -> None:
    """The same check as `require_scope`, for rules that depend on the object (a session's kind)."""
    if not principal.has_any_scope(scope):
        raise Forbidden(
            f"This usage key lacks the scope this operation needs: {scope}.",
            details={"required_scopes": [scope]},
        )


def paid_route(*scopes: str) -> type[BasePermission]:
    """Like require_scope, but a missing token is `402 AGENT_TOKEN_REQUIRED` (SPEC §3.2 step 1)."""

    base = require_scope(*scopes)

    class PaidRoute(base):  # type: ignore[valid-type, misc]
        def has_permission(self, request: Any, view: Any) -> bool:
            if _principal(request) is None:
                raise PaymentRequired(
                    "This is a paid route: send an agent bearer token (Authorization: Bearer 411_…).",
                    code="AGENT_TOKEN_REQUIRED",
                )
            return super().has_permission(request, view)

    return PaidRoute


class IsStaff(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        principal = _principal(request)
        if principal is None:
            raise NotAuthenticated()
        if not principal.is_staff:
            raise Forbidden("This route is for staff tokens only.", code="STAFF_ONLY")
        return True
