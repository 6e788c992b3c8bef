"""Money is integer micro-USD (1e-6 USD, USDC's atomic unit). JSON shows `_usd` decimal strings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000
MAX_MICROS = 10**15  # $1e9: far above any real amount, far below BigInteger's limit


def usd_str(micros: int) -> str:
    """1_000_000 → "1.00", 190_000 → "0.19", 1_500 → "0.0015" (at least two decimals)."""
    if not isinstance(micros, int):
        raise TypeError("money is integer micros")
    value = Decimal(micros) / MICROS_PER_USD
    text = f"{value:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def parse_usd(text: str) -> int:
    """"0.20" → 200_000. Refuses floats, negatives, non-numbers and sub-micro precision."""
    if not isinstance(text, str):
        raise ValueError("amount must be a decimal string such as \"0.20\"")
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a decimal amount") from exc
    if not value.is_finite() or value < 0:
        raise ValueError("amount must be a non-negative decimal")
    micros = value * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError("amount has more than 6 decimal places")
    if micros > MAX_MICROS:
        raise ValueError("amount is too large")
    return int(micros)
