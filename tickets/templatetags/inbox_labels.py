"""Human labels for the Support Inbox: money, payment methods, ledger kinds, message authors.

`{% load inbox_labels %}` then `{{ micros|usd }}` → "$0.19", `{{ micros|signed_usd }}` → "+$1.00" /
"−$0.01", `{{ ticket.payment_method|payment_method_label }}` → "Virtual balance".
"""

from __future__ import annotations

from typing import Any

from django import template

from billing.money import usd_str

register = template.Library()

PAYMENT_METHODS = {
    "virtual_balance": "Virtual balance",
    "x402": "x402 payment (USDC)",
}
LEDGER_KINDS = {
    "grant": "Starting grant",
    "ticket_charge": "Ticket charge",
    "x402_payment": "x402 payment",
    "x402_topup": "x402 top-up",
    "bug_bounty": "Bug bounty",
    "refund": "Refund",
    "adjustment": "Staff adjustment",
}
AUTHORS = {
    "user": "Customer",
    "assistant": "Enrich Agent",
    "operator": "Staff",
    "triage_bot": "Triage bot",
    "system": "System",
}


def _humanise(value: str) -> str:
    return value.replace("_", " ").strip().capitalize()


@register.filter
def usd(micros: Any) -> str:
    """Integer micro-USD → "$0.19"."""
    if not isinstance(micros, int):
        return ""
    return f"−${usd_str(-micros)}" if micros < 0 else f"${usd_str(micros)}"


@register.filter
def signed_usd(micros: Any) -> str:
    """Integer micro-USD → "+$1.00" / "−$0.01" (a ledger movement)."""
    if not isinstance(micros, int):
        return ""
    return f"−${usd_str(-micros)}" if micros < 0 else f"+${usd_str(micros)}"


@register.filter
def payment_method_label(value: Any) -> str:
    return PAYMENT_METHODS.get(str(value), _humanise(str(value)))


@register.filter
def ledger_kind_label(value: Any) -> str:
    return LEDGER_KINDS.get(str(value), _humanise(str(value)))


@register.filter
def author_label(value: Any) -> str:
    return AUTHORS.get(str(value), _humanise(str(value)))


@register.filter
def staff_name(user: Any) -> str:
    """An operator as people call them: full name, else username."""
    if user is None:
        return ""
    return (user.get_full_name() or "").strip() or user.get_username()
