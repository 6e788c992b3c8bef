"""The production web launcher (Procfile `web`): the `uvicorn` command line, unchanged except for
one thing: with `--workers N` the listening socket is re-wrapped as IPPROTO_TCP, so asyncio sets
TCP_NODELAY on accepted connections.

uvicorn's `Config.bind_socket()` leaves `proto` at 0; accepted sockets inherit it and asyncio
only sets TCP_NODELAY when `proto == IPPROTO_TCP` (uvicorn issue #3149). Without it every
keep-alive response whose body goes out in a second write waits ~40 ms for the client's delayed
ACK (measured in bench/README.md). Usage: `python -m support_project.serve APP [uvicorn options]`.
It imports only uvicorn and the standard library, so the benchmarks also run it by path for
django-helpdesk in that project's own virtualenv.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

# Run by path (the benchmarks do), Python puts this folder first on sys.path, and our
# support_project/celery.py would shadow the celery package: drop it.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from uvicorn import config as uvicorn_config
from uvicorn.main import main

_original_bind_socket = uvicorn_config.Config.bind_socket


def bind_socket_tcp(self: uvicorn_config.Config) -> socket.socket:
    sock = _original_bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


uvicorn_config.Config.bind_socket = bind_socket_tcp  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
