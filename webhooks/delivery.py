"""The ONLY module that sends HTTP requests to customer receivers.

`send()` makes one attempt and classifies it (after healthchecks' transports): SUCCESS (2xx),
GONE (410: the subscription should be disabled), RETRY (any other status, timeouts, connection
errors) or PERMANENT (the target is refused by the SSRF guard). It never raises for network
trouble. Guarantees: the host is resolved once and every address validated (ssrf.py), the
connection goes to that validated IP with Host/SNI/certificate checks on the original name, no
redirects, no proxies from the environment, a connect + read timeout and a total deadline while
reading, and at most 64 KiB of response read (2 KiB kept for the delivery log).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from . import ssrf

KEEP_BODY_BYTES = 2 * 1024
READ_AT_MOST_BYTES = 64 * 1024
CONNECT_TIMEOUT_SECONDS = 5.0
USER_AGENT = "411data-Webhooks/1.0 (+https://411data.com/docs/event-callbacks)"


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    GONE = "gone"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    status: int | None
    duration_ms: int
    error: str = ""
    body: str = ""
    retry_after_seconds: int | None = None


class _PinnedAdapter(HTTPAdapter):
    """Connects to the validated IP in the URL while TLS uses the original host name for SNI and
    certificate verification (urllib3's server_hostname / assert_hostname)."""

    def __init__(self, target: ssrf.Target) -> None:
        self._target = target  # before super().__init__, which calls init_poolmanager
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        if self._target.scheme == "https":
            pool_kwargs["server_hostname"] = self._target.host
            pool_kwargs["assert_hostname"] = self._target.host
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return min(int(value.strip()), 24 * 3600)
    return None


def _read_capped(response: requests.Response, deadline: float) -> tuple[bytes, str]:
    """Up to KEEP_BODY_BYTES of the body; stop after READ_AT_MOST_BYTES or at the deadline."""
    kept = bytearray()
    read = 0
    note = ""
    for chunk in response.iter_content(chunk_size=4096):
        read += len(chunk)
        if len(kept) < KEEP_BODY_BYTES:
            kept.extend(chunk[: KEEP_BODY_BYTES - len(kept)])
        if read >= READ_AT_MOST_BYTES:
            note = "response body cut at 64 KiB"
            break
        if time.monotonic() > deadline:
            note = "response body cut at the deadline"
            break
    return bytes(kept), note


def _elapsed_ms(started: float) -> int:
    return max(0, int((time.monotonic() - started) * 1000))


def send(*, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """One POST attempt. `headers` are the signature/event headers; we add the rest."""
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    started = time.monotonic()
    deadline = started + timeout
    try:
        target = ssrf.resolve_target(url)
    except ssrf.BlockedDestination as exc:
        return SendResult(Outcome.PERMANENT, None, _elapsed_ms(started), f"blocked: {exc}")

    session = requests.Session()
    session.trust_env = False  # HTTP(S)_PROXY from the environment would bypass the IP pinning
    adapter = _PinnedAdapter(target)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    request_headers = {
        **headers, "Host": target.host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
    }
    try:
        with session.post(
            target.pinned_url, data=body, headers=request_headers, allow_redirects=False, stream=True,
            timeout=(min(CONNECT_TIMEOUT_SECONDS, timeout), timeout),
        ) as response:
            raw, note = _read_capped(response, deadline)
            status = response.status_code
            retry_after = _retry_after(response.headers.get("Retry-After"))
    except requests.Timeout:
        return SendResult(Outcome.RETRY, None, _elapsed_ms(started), f"timed out after {timeout:g} s")
    except requests.ConnectionError as exc:
        return SendResult(Outcome.RETRY, None, _elapsed_ms(started), f"connection failed: {type(exc).__name__}")
    except requests.RequestException as exc:
        return SendResult(Outcome.RETRY, None, _elapsed_ms(started), f"request failed: {type(exc).__name__}")
    finally:
        session.close()

    text = raw.decode("utf-8", errors="replace")
    duration = _elapsed_ms(started)
    if 200 <= status < 300:
        return SendResult(Outcome.SUCCESS, status, duration, note, text)
    if status == 410:
        return SendResult(Outcome.GONE, status, duration, "410 Gone: the receiver asked us to stop", text)
    error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return SendResult(Outcome.RETRY, status, duration, error, text, retry_after)
