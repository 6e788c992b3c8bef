"""The one base of every API viewset: who is calling, typed (`request.auth` is a `Principal`)."""

from __future__ import annotations

from typing import Any

from rest_framework import viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from billing import idempotency
from support_project.api.schema import ApiAutoSchema
from support_project.domain import Forbidden

from ..models import Agent
from ..principal import Principal


class ApiViewSet(viewsets.ViewSet):
    # A ViewSet whose ids are plain strings in the path (`lookup_url_kwarg` names them, e.g.
    # `ticket_id`) and whose caller is a typed principal. Permission classes run first, so `agent`
    # and `staff_user` only fail for a viewset wired with the wrong permission. (A comment, not a
    # docstring: drf-spectacular would publish a docstring as every operation's description.)

    lookup_value_converter = "str"
    schema = ApiAutoSchema()
    is_collection = False  # @action(..., is_collection=True): a GET that lists (its operation id ends in _list)
    # Creating POSTs that take Idempotency-Key through this class (SPEC §3.4): the key is claimed
    # after authentication, a duplicate replays the stored answer (`Idempotent-Replayed: true`),
    # a success is stored and anything else frees the key. A viewset whose service claims the key
    # in its own transaction (the paid ticket create) or that mints tokens sets this to empty.
    idempotent_actions: frozenset[str] = frozenset({"create"})
    _idempotency_claim: tuple[str | None, int | None, str] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._idempotency_claim = None
        if request.method != "POST" or self.action not in self.idempotent_actions:
            return
        key = idempotency.clean_key(request.headers.get("Idempotency-Key"))
        if key is None:
            return
        principal = self.principal
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
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None:
            agent_id, staff_id, key = claim
            if 200 <= response.status_code < 300 and isinstance(response, Response):
                headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
                idempotency.store(agent_id=agent_id, staff_user_id=staff_id, key=key, response=idempotency.StoredResponse(
                    response.status_code, response.data, headers))
            else:  # errors aren't stored: the client fixes the cause and retries with the same key
                idempotency.release(agent_id=agent_id, staff_user_id=staff_id, key=key)
        return super().finalize_response(request, response, *args, **kwargs)

    @property
    def principal(self) -> Principal:
        auth = self.request.auth
        if not isinstance(auth, Principal):
            raise NotAuthenticated()
        return auth

    @property
    def agent(self) -> Agent:
        agent = self.principal.agent
        if agent is None:
            raise Forbidden("Staff tokens act on /api/admin/ only; use an agent token here.")
        return agent

    @property
    def staff_user(self) -> Any:
        user = self.principal.staff_user
        if not self.principal.is_staff or user is None:
            raise Forbidden("This route is for staff tokens only.", code="STAFF_ONLY")
        return user


class _Replay(Exception):
    """Raised from `initial` to answer with a stored response instead of running the action."""

    def __init__(self, stored: idempotency.StoredResponse) -> None:
        self.stored = stored
        super().__init__("idempotent replay")
