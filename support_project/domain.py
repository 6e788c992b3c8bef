"""Domain errors: what went wrong, in words a client can act on — and nothing about HTTP.

Services, selectors, the status machine and the billing waterfall raise these. Each front end maps
them once: REST in `support_project.api.errors` (status code + SPEC §1 envelope), the chat tools and
the MCP server through the same `error_body` there. A subclass per kind; `code` is the SPEC's code.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base: a stable `code`, a human `message`, field-level `details`, and `extra` top-level keys
    for the few codes whose body the SPEC extends (PAYMENT_REQUIRED)."""

    code: str = "ERROR"
    message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details: dict[str, Any] = details or {}
        self.extra: dict[str, Any] = extra or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """The input is wrong; `details` maps field → [reasons]."""

    code, message = "VALIDATION_ERROR", "The request body is invalid."


class NotFound(DomainError):
    """No such object — or another agent's (never say which)."""

    code, message = "NOT_FOUND", "Not found."


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code, message = "INSUFFICIENT_SCOPE", "This token lacks the scope this operation needs."


class Conflict(DomainError):
    """The object's state refuses the operation (closed ticket, bounty already awarded, …)."""

    def __init__(self, code: str, message: str, **kwargs: Any) -> None:
        super().__init__(message, code=code, **kwargs)


class TooLarge(DomainError):
    """More bytes than a limit allows: an uploaded file, a ticket's attachments, a request body."""

    code, message = "PAYLOAD_TOO_LARGE", "The request body is too large."


class Unprocessable(DomainError):
    """Well-formed, but contradicts an earlier request (an Idempotency-Key reused with another body)."""

    code = "UNPROCESSABLE"


class PaymentRequired(DomainError):
    """Pay first. `x402_required` is the encoded x402 PaymentRequired (when payment can be made);
    `x402_settlement` the encoded settlement response of a rejected payment."""

    code, message = "PAYMENT_REQUIRED", "Payment required."

    def __init__(
        self,
        message: str | None = None,
        *,
        x402_required: str | None = None,
        x402_settlement: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.x402_required = x402_required
        self.x402_settlement = x402_settlement
        super().__init__(message, **kwargs)


class Unavailable(DomainError):
    """A dependency could not be reached; nothing happened; retrying later may work."""

    code, message = "SERVICE_UNAVAILABLE", "A service we depend on is unavailable; retry later."


class UpstreamFailed(DomainError):
    """A dependency answered, but with an error or an unknown outcome."""

    code, message = "UPSTREAM_ERROR", "A service we depend on failed."
