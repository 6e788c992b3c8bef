"""What `live` needs from the apps above it, registered by them at start-up (`AppConfig.ready`).

`live` sits below `demo_sessions`, `billing` and `tickets` — they announce their changes through
`live.notify` — so it never imports them; going up is done by registration (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# (agent id, session id) → the session's kind, or None when it isn't that agent's session.
SessionKindLookup = Callable[[str, str], "str | None"]
# an inbox ticket reference (its number) → (number, agent id, support thread id), or None.
TicketLookup = Callable[[str], "tuple[int, str, str] | None"]
# micro-USD → the API's money string ("0.19").
UsdFormat = Callable[[int], str]


@dataclass
class Registry:
    session_kind: SessionKindLookup | None = None
    ticket: TicketLookup | None = None
    usd: UsdFormat | None = None


registry = Registry()


def register(*, session_kind: SessionKindLookup | None = None, ticket: TicketLookup | None = None,
             usd: UsdFormat | None = None) -> None:
    if session_kind is not None:
        registry.session_kind = session_kind
    if ticket is not None:
        registry.ticket = ticket
    if usd is not None:
        registry.usd = usd
