"""The router every app's API uses: the SPEC's paths have no trailing slash, ids are `<str:…>`."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter


class ApiRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__(trailing_slash=False, use_regex_path=False)
