"""Test helpers for x402: a real local facilitator on loopback, and a paying client.

    fac = start_local_facilitator(initial_balance_micros=1_000_000)
    header = make_payment_header(gateway.payment_required(...), key)
    ...
    fac.stop()

The client is the SDK's own (`x402ClientSync` + `register_exact_evm_client`) with a throwaway
eth-account key, so every header carries a real EIP-712 signature.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings
from eth_account import Account
from x402 import PaymentRequired, x402ClientSync
from x402.http import encode_payment_signature_header
from x402.mechanisms.evm import EthAccountSigner, get_evm_chain_id
from x402.mechanisms.evm.eip712 import build_typed_data_for_signing
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.mechanisms.evm.types import ExactEIP3009Authorization

from billing.x402.chain import SimulatedChain
from billing.x402.facilitator_app import FacilitatorOptions, RunningFacilitator, start_in_thread

Tamper = Callable[[dict[str, Any]], None]


def start_local_facilitator(
    *, initial_balance_micros: int = 100_000_000, network: str | None = None, options: FacilitatorOptions | None = None
) -> RunningFacilitator:
    """The local facilitator on a free 127.0.0.1 port, in a daemon thread: `.url`, `.chain`, `.stop()`."""
    chain = SimulatedChain(network=network or settings.X402_NETWORK, initial_balance_atomic=initial_balance_micros)
    return start_in_thread(chain=chain, options=options)


def new_private_key() -> str:
    return "0x" + bytes(Account.create().key).hex()


def address_of(private_key: str) -> str:
    return Account.from_key(private_key).address


def make_payment_header(
    payment_required: dict[str, Any],
    private_key: str | None = None,
    *,
    tamper: Tamper | None = None,
    resign: bool = False,
) -> str:
    """A PAYMENT-SIGNATURE value paying `accepts[0]` of a PaymentRequired body.

    `tamper` edits the camelCase PaymentPayload dict after signing (e.g. change `accepted.payTo`
    or `payload.authorization.value`); with `resign=True` the edited authorization is signed
    again, which is how a client with a stale clock (an already expired `validBefore`) looks.
    """
    key = private_key or new_private_key()
    # No spend controls: this payer signs whatever it is shown, so tests can present payments for
    # other assets or networks and see *our* side refuse them.
    client = x402ClientSync().set_spend_controls(False)
    register_exact_evm_client(client, Account.from_key(key))
    payload = client.create_payment_payload(PaymentRequired.model_validate(payment_required))
    if tamper is None:
        return encode_payment_signature_header(payload)
    data = payload.model_dump(by_alias=True, exclude_none=True)
    tamper(data)
    if resign:
        data["payload"]["signature"] = _sign_authorization(data, key)
    return encode_payment_signature_header(type(payload).model_validate(data))


def _sign_authorization(data: dict[str, Any], key: str) -> str:
    auth = data["payload"]["authorization"]
    accepted = data["accepted"]
    authorization = ExactEIP3009Authorization(
        from_address=auth["from"], to=auth["to"], value=auth["value"], valid_after=auth["validAfter"],
        valid_before=auth["validBefore"], nonce=auth["nonce"],
    )
    domain, types, primary, message = build_typed_data_for_signing(
        authorization, get_evm_chain_id(accepted["network"]), accepted["asset"],
        accepted["extra"]["name"], accepted["extra"]["version"],
    )
    return "0x" + EthAccountSigner(Account.from_key(key)).sign_typed_data(domain, types, primary, message).hex()


def decode_header(header_value: str) -> dict[str, Any]:
    """Any x402 header (PAYMENT-REQUIRED, -SIGNATURE, -RESPONSE) as the plain camelCase dict it carries."""
    return json.loads(base64.b64decode(header_value, validate=True))


def closed_port_url() -> str:
    """A loopback URL nobody listens on (bound, then released): connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def sleeping_server(seconds: float) -> Iterator[str]:
    """A loopback HTTP server that holds every request `seconds` before answering 504."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _hold(self) -> None:
            release.wait(seconds)
            self.send_response(504)
            self.end_headers()

        do_GET = do_POST = _hold

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
