"""Idempotency-Key for the creating POSTs of any API viewset (SPEC §3.4): one mechanism, mixed
into each viewset that creates (`class XViewSet(IdempotentMixin, ApiViewSet)`).

The key is claimed — committed, so a concurrent duplicate gets 409 IDEMPOTENCY_IN_PROGRESS — once
authentication and permissions have passed; a later duplicate gets the stored answer with
`Idempotent-Replayed: true`; a 2xx is stored, anything else frees the key (the client fixes the
cause and retries with it). Agents own their keys; on /api/admin/ the staff user does. The paid
ticket create claims inside its own transaction (billing.paywall) and token-minting routes refuse
the header, so those viewsets don't mix this in.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.principal import Principal

from .. import idempotency


class _Replay(Exception):
    """Raised from `initial` to answer with a stored response instead of running the action."""

    def __init__(self, stored: idempotency.StoredResponse) -> None:
        self.stored = stored
        super().__init__("idempotent replay")


class IdempotentMixin:
    # The actions (POST) that take Idempotency-Key; ApiAutoSchema documents the header on them.
    idempotent_actions: frozenset[str] = frozenset({"create"})
    _idempotency_claim: tuple[str | None, int | None, str] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._idempotency_claim = None
        if request.method != "POST" or getattr(self, "action", None) not in self.idempotent_actions:
            return
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        if key is None or not isinstance(request.auth, Principal):
            return
        principal = request.auth
        agent_id = principal.agent.id if principal.agent is not None else None
        staff_id = principal.staff_user.pk if agent_id is None and principal.staff_user is not None else None
        fp = idempotency.fingerprint(method="POST", path=request.path, body=request.data)
        replay = idempotency.claim_committed(agent_id=agent_id, staff_user_id=staff_id, key=key, fp=fp)
        if replay is not None:
            raise _Replay(replay)
        self._idempotency_claim = (agent_id, staff_id, key)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            stored = exc.stored
            return Response(stored.body, status=stored.status,
                            headers={**stored.headers, "Idempotent-Replayed": "true"})
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None:
            agent_id, staff_id, key = claim
            if 200 <= response.status_code < 300 and isinstance(response, Response):
                headers = {name: str(response[name]) for name in ("Location",) if response.has_header(name)}
                idempotency.store(agent_id=agent_id, staff_user_id=staff_id, key=key,
                                  response=idempotency.StoredResponse(response.status_code, response.data, headers))
            else:
                idempotency.release(agent_id=agent_id, staff_user_id=staff_id, key=key)
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
