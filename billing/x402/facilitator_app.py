"""The local x402 facilitator: the SDK's facilitator logic over a simulated chain, served as WSGI.

    GET  /supported                          SupportedResponse (x402 v2 kinds + signer)
    POST /verify   {x402Version, paymentPayload, paymentRequirements}   VerifyResponse
    POST /settle   (same body)                                          SettleResponse
    GET  /chain/authorizations/<payer>/<nonce>   {"state": "transferred"|"unused", ...}
    GET  /healthz

Business failures (`isValid:false`, `success:false`) are 200s, exceptions are 500s, as in the
SDK's reference facilitator. The `/chain/...` lookup is ours: a real facilitator has none, so
`x402_reconcile` uses it only when it exists. Loopback only; never expose it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pydantic import ValidationError
from x402 import x402FacilitatorSync
from x402.mechanisms.evm.exact import ExactEvmFacilitatorScheme
from x402.schemas import SettleRequest, VerifyRequest

from .chain import SimulatedChain

logger = logging.getLogger("billing.x402.facilitator")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_AUTHORIZATION_PATH = re.compile(r"^/chain/authorizations/(0x[0-9a-fA-F]{40})/(0x[0-9a-fA-F]{64})$")
_MAX_BODY = 64 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


@dataclass
class FacilitatorOptions:
    """Fault injection for tests of what a slow or broken facilitator does to our side."""

    settle_delay_seconds: float = 0.0  # settle on chain, then hold the answer this long
    settle_status: int | None = None  # answer /settle with this status *without* settling
    verify_status: int | None = None  # answer /verify with this status without verifying
    before_settle: Callable[[], None] | None = None  # e.g. drain the payer between verify and settle
    calls: list[str] = field(default_factory=list)  # "POST /verify", … in arrival order


class FacilitatorApp:
    """WSGI callable. One `x402FacilitatorSync` registered for the chain's network only (v2)."""

    def __init__(self, chain: SimulatedChain, options: FacilitatorOptions | None = None) -> None:
        self.chain = chain
        self.options = options or FacilitatorOptions()
        self.facilitator = x402FacilitatorSync()
        self.facilitator.register([chain.network], ExactEvmFacilitatorScheme(chain))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.options.calls.append(f"{method} {path}")
        try:
            status, body = self._route(method, path, environ)
        except (BadRequest, ValidationError, json.JSONDecodeError) as exc:  # the client's fault
            status, body = 400, {"error": str(exc)[:500]}
        except Exception as exc:  # the SDK's reference facilitator answers 500 on exceptions
            logger.exception("facilitator error on %s %s", method, path)
            status, body = 500, {"error": f"{type(exc).__name__}: {exc}"}
        payload = json.dumps(body, separators=(",", ":")).encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _route(self, method: str, path: str, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path == "/healthz":
            return 200, {"ok": True, "network": self.chain.network}
        if method == "GET" and path == "/supported":
            return 200, self.facilitator.get_supported().model_dump(by_alias=True, exclude_none=True)
        if method == "GET" and (match := _AUTHORIZATION_PATH.match(path)):
            return 200, self._authorization(match.group(1), match.group(2))
        if method == "POST" and path == "/verify":
            if self.options.verify_status:
                return self.options.verify_status, {"error": "injected verify failure"}
            verify = VerifyRequest.model_validate(_read_json(environ))
            verified = self.facilitator.verify(verify.payment_payload, verify.payment_requirements)
            return 200, verified.model_dump(by_alias=True, exclude_none=True)
        if method == "POST" and path == "/settle":
            if self.options.settle_status:
                return self.options.settle_status, {"error": "injected settle failure"}
            settle = SettleRequest.model_validate(_read_json(environ))
            if self.options.before_settle:
                self.options.before_settle()
            settled = self.facilitator.settle(settle.payment_payload, settle.payment_requirements)
            if self.options.settle_delay_seconds:
                time.sleep(self.options.settle_delay_seconds)  # the answer is late; the transfer is not
            return 200, settled.model_dump(by_alias=True, exclude_none=True)
        return 404, {"error": f"no route for {method} {path}"}

    def _authorization(self, payer: str, nonce: str) -> dict[str, Any]:
        transfer = self.chain.authorization_transfer(payer=payer, nonce=nonce)
        base = {"network": self.chain.network, "asset": self.chain.token, "payer": payer, "nonce": nonce.lower()}
        if transfer is None:
            return {**base, "state": "unused"}
        return {**base, "state": "transferred", "transaction": transfer.tx_hash, "to": transfer.to,
                "value": str(transfer.value), "blockNumber": transfer.block_number}


class BadRequest(Exception):
    pass


def _read_json(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0 or length > _MAX_BODY:
        raise BadRequest("a JSON body of at most 64 KiB is required")
    return json.loads(environ["wsgi.input"].read(length))


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a sleeping /settle must not keep the process alive
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.info("%s %s", self.address_string(), format % args)


@dataclass
class RunningFacilitator:
    url: str
    chain: SimulatedChain
    options: FacilitatorOptions
    server: WSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def build_server(
    *, chain: SimulatedChain, options: FacilitatorOptions | None = None, host: str = "127.0.0.1", port: int = 0
) -> tuple[WSGIServer, FacilitatorApp]:
    app = FacilitatorApp(chain, options)
    server = make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    return server, app


def start_in_thread(
    *, chain: SimulatedChain, options: FacilitatorOptions | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningFacilitator:
    """Serve on a loopback port (0 = any free one) in a daemon thread; `.stop()` shuts it down."""
    server, app = build_server(chain=chain, options=options, host=host, port=port)
    thread = threading.Thread(target=server.serve_forever, name="x402-facilitator", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    host_text = bound_host.decode() if isinstance(bound_host, bytes) else bound_host
    return RunningFacilitator(f"http://{host_text}:{bound_port}", chain, app.options, server, thread)
