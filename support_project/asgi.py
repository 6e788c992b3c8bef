"""One ASGI application: Django for everything, plus the MCP endpoint at /mcp (SPEC §8).

The MCP app is mounted by path; lifespan events go to it so its session manager starts.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_project.settings")

django_application = get_asgi_application()


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await django_application(scope, receive, send)
