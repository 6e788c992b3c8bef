"""Signing secrets and signature headers (SPEC §7). Pure functions: no I/O, no clock of their own.

Secret: `ech_` + standard base64 of 32 random bytes. Two schemes sign every request:

* `X-411data-Signature: sha256=<hex>` — HMAC-SHA256 keyed with the WHOLE secret string (UTF-8)
  over `"{X-411data-Timestamp}.{raw body}"`. During a rotation the header carries one value per
  secret, comma-separated, current first: `sha256=<new>,sha256=<old>` (like Stripe's repeated
  `v1=`). Receivers split on "," and accept if any value matches.
* Standard Webhooks: `webhook-signature: v1,<b64> [v1,<b64>]` keyed with the DECODED 32 bytes,
  over `"{webhook-id}.{webhook-timestamp}.{raw body}"`, so
  `standardwebhooks.Webhook("whsec_" + secret[4:]).verify(body, headers)` accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "ech_"


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def hmac_hex(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_headers(*, secrets_: list[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The signature headers for one attempt; `secrets_` is current first, then any still-valid old one."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)  # aware UTC: Webhook.sign overwrites tzinfo
    text = body.decode("utf-8")
    return {
        "X-411data-Timestamp": str(timestamp),
        "X-411data-Signature": ",".join(f"sha256={hmac_hex(secret=s, timestamp=timestamp, body=body)}"
                                        for s in secrets_),
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(Webhook("whsec_" + s[len(SECRET_PREFIX):]).sign(webhook_id, moment, text)
                                      for s in secrets_),
    }
