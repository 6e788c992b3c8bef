"""Train the builtin agent's classifiers and build the cookbook index before the first chat turn.

Both are built lazily on first use (a few hundred milliseconds on an idle core); a server calls
this at startup (support_project/asgi.py, in a background thread) so no user waits for it.
"""

from __future__ import annotations

import threading


def agent_warm_up() -> None:
    from agent.language.nlu import warm_up
    from cookbook.retrieval import section_search

    warm_up()
    section_search(query="warm up")


def agent_warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=agent_warm_up, name="agent-warm-up", daemon=True)
    thread.start()
    return thread
