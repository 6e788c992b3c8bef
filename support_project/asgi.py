"""One ASGI application: Django for everything, plus the MCP endpoint at /mcp (SPEC §8).

`/mcp` (and `/mcp/`) go to the MCP app (`agent.mcp.http`); the live event streams
(`live.streams`) to their async handlers; everything else to Django.
Django's ASGI handler doesn't speak the lifespan protocol, so lifespan events go to the MCP app,
which starts its session manager then. Run: `uvicorn support_project.asgi:application`.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_project.settings")

django_handler = get_asgi_application()  # django.setup() first: the MCP modules import models

from support_project.api.upload_limits import UploadBodyLimit  # noqa: E402

# Upload routes: refuse an oversize body before Django buffers it (Django's ASGI handler reads
# the whole body before any middleware runs).
django_application = UploadBodyLimit(django_handler)

from support_project.bodylimit import BodyLimitMiddleware  # noqa: E402

# Body size and read-time limits before Django reads anything (/mcp has its own limit).
guarded_django = BodyLimitMiddleware(django_application)

from agent.mcp.http import McpEndpoint, is_mcp_path  # noqa: E402
from live.streams import LiveEndpoint, is_live_path  # noqa: E402

mcp_endpoint = McpEndpoint()
live_endpoint = LiveEndpoint()

from agent.warmup import agent_warm_up_in_background  # noqa: E402

agent_warm_up_in_background()  # the Enrich Agent's classifiers and cookbook index, before the first turn


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        await mcp_endpoint.lifespan(scope, receive, send)
        return
    if scope["type"] == "http" and is_mcp_path(scope["path"]):
        await mcp_endpoint(scope, receive, send)
        return
    if scope["type"] == "http" and is_live_path(scope["path"]):
        await live_endpoint(scope, receive, send)  # server-sent events: outside the sync middleware
        return
    await guarded_django(scope, receive, send)
