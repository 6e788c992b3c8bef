"""The one base of every API viewset: who is calling, typed (`request.auth` is a `Principal`)."""

from __future__ import annotations

from typing import Any

from rest_framework import viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.views import APIView

from support_project.api.schema import ApiAutoSchema
from support_project.domain import Forbidden

from .models import Agent
from .principal import Principal


class ApiView(APIView):
    # Who is calling, typed: DRF types `request.auth` loosely; our authentication sets a Principal.
    # Used directly by the few single routes that are not a resource (me, balance, the chat turn,
    # the event feed), and as the base of ApiViewSet.

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


class ApiViewSet(ApiView, viewsets.ViewSet):
    # A ViewSet whose ids are plain strings in the path (`lookup_url_kwarg` names them, e.g.
    # `ticket_id`) and whose caller is a typed principal. Permission classes run first, so `agent`
    # and `staff_user` only fail for a viewset wired with the wrong permission. (A comment, not a
    # docstring: drf-spectacular would publish a docstring as every operation's description.)

    lookup_value_converter = "str"
    schema = ApiAutoSchema()
    is_collection = False  # @action(..., is_collection=True): a GET that lists (its operation id ends in _list)
