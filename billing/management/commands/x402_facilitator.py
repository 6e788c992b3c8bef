from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from billing.money import parse_usd
from billing.x402.chain import SimulatedChain
from billing.x402.facilitator_app import build_server


class Command(BaseCommand):
    help = (
        "Run the local x402 facilitator (the SDK's facilitator logic over a simulated chain) on 127.0.0.1 "
        "until killed. For local runs and tests only: it moves no real money."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8402)
        parser.add_argument("--host", default="127.0.0.1", help="loopback only; never expose it")
        parser.add_argument("--initial-balance-usd", default="100", help="USDC every address starts with")
        parser.add_argument("--network", default=None, help="CAIP-2 id (default: settings.X402_NETWORK)")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        chain = SimulatedChain(
            network=options["network"] or settings.X402_NETWORK,
            initial_balance_atomic=parse_usd(str(options["initial_balance_usd"])),
        )
        server, _ = build_server(chain=chain, host=options["host"], port=options["port"])
        host, port = server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        self.stderr.write(
            f"x402 facilitator on http://{host}:{port} — {chain.network}, token {chain.token} "
            f"({chain.token_name} v{chain.token_version}), signer {chain.facilitator_address}"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
