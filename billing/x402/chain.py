"""A simulated EVM chain holding one EIP-3009 token (USDC), for the local facilitator.

`SimulatedChain` implements the SDK's `FacilitatorEvmSigner` protocol, so the SDK's own
`ExactEvmFacilitatorScheme` verifies and settles against it exactly as it would against an RPC:
the same typed-data hashing, the same revert strings, the same Transfer-event receipt check.
What the token contract would enforce is enforced here: validity window, one use per
(payer, nonce), the EIP-712 signature of `from`, and the balance. Every address starts with
`initial_balance_atomic`; state lives in memory and is guarded by one lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_keys.exceptions import ValidationError as KeyValidationError
from eth_utils import keccak, to_checksum_address
from x402.mechanisms.evm import get_evm_chain_id
from x402.mechanisms.evm.constants import MULTICALL3_ADDRESS
from x402.mechanisms.evm.exact import ExactEvmServerScheme
from x402.mechanisms.evm.types import TransactionReceipt, TypedDataDomain, TypedDataField

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
# Any non-empty bytecode: the SDK only asks whether an address is a contract.
_CONTRACT_CODE = b"\x60\x80\x60\x40"
_AUTH_TYPES = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "validAfter", "type": "uint256"},
    {"name": "validBefore", "type": "uint256"},
    {"name": "nonce", "type": "bytes32"},
]
_DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class ContractRevert(Exception):
    """An eth_call or transaction that the token contract would revert ("execution reverted: …")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"execution reverted: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Transfer:
    tx_hash: str
    token: str
    payer: str
    to: str
    value: int
    nonce: str  # 0x + 64 lowercase hex
    block_number: int


def _nonce_hex(nonce: bytes | str) -> str:
    raw = nonce if isinstance(nonce, bytes) else bytes.fromhex(nonce.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError("an EIP-3009 nonce is 32 bytes")
    return "0x" + raw.hex()


class SimulatedChain:
    """One chain, one token, balances + used nonces + receipts. Thread-safe."""

    def __init__(self, *, network: str, initial_balance_atomic: int, facilitator_address: str | None = None) -> None:
        asset = ExactEvmServerScheme().parse_price("$1", network)  # the SDK's USDC for this network
        self.network = network
        self.chain_id = get_evm_chain_id(network)
        self.token = to_checksum_address(asset.asset)
        extra = asset.extra or {}
        self.token_name = str(extra["name"])
        self.token_version = str(extra["version"])
        self.initial_balance_atomic = initial_balance_atomic
        self.facilitator_address = to_checksum_address(
            facilitator_address or Account.from_key(keccak(text="local-x402-facilitator")).address
        )
        self._lock = threading.Lock()
        self._balances: dict[str, int] = {}
        self._transfers: dict[str, Transfer] = {}  # by tx hash
        self._used: dict[tuple[str, str], str] = {}  # (payer, nonce) → tx hash
        self._block = 1
        # While set, receipts never arrive (a congested chain): the SDK answers settlement_pending.
        self.confirmations_stalled = False

    # ---- inspection (tests, the facilitator's status endpoint) ----

    def balance_of(self, address: str) -> int:
        with self._lock:
            return self._balances.get(to_checksum_address(address), self.initial_balance_atomic)

    def set_balance(self, address: str, amount_atomic: int) -> None:
        with self._lock:
            self._balances[to_checksum_address(address)] = amount_atomic

    def authorization_transfer(self, *, payer: str, nonce: str) -> Transfer | None:
        """The transfer that consumed (payer, nonce), or None while the nonce is unused."""
        with self._lock:
            tx_hash = self._used.get((to_checksum_address(payer), _nonce_hex(nonce)))
            return self._transfers[tx_hash] if tx_hash else None

    # ---- FacilitatorEvmSigner ----

    def get_addresses(self) -> list[str]:
        return [self.facilitator_address]

    def get_chain_id(self) -> int:
        return self.chain_id

    def get_code(self, address: str) -> bytes:
        known = {self.token.lower(), MULTICALL3_ADDRESS.lower()}
        return _CONTRACT_CODE if address.lower() in known else b""

    def get_balance(self, address: str, token_address: str) -> int:
        self._require_token(token_address)
        return self.balance_of(address)

    def verify_typed_data(
        self,
        address: str,
        domain: TypedDataDomain,
        types: dict[str, list[TypedDataField]],
        primary_type: str,
        message: dict[str, Any],
        signature: bytes,
    ) -> bool:
        full = {
            "types": {
                "EIP712Domain": _DOMAIN_TYPES,
                **{
                    name: [{"name": f.name, "type": f.type} if isinstance(f, TypedDataField) else f for f in fields]
                    for name, fields in types.items()
                    if name != "EIP712Domain"
                },
            },
            "primaryType": primary_type,
            "domain": {
                "name": domain.name, "version": domain.version, "chainId": domain.chain_id,
                "verifyingContract": domain.verifying_contract,
            },
            "message": message,
        }
        try:
            recovered = Account.recover_message(encode_typed_data(full_message=full), signature=signature)
        except (ValueError, TypeError, BadSignature, KeyValidationError):  # malformed: simply not valid
            return False
        return recovered.lower() == address.lower()

    def read_contract(self, address: str, abi: list[dict[str, Any]], function_name: str, *args: Any) -> Any:
        if address.lower() == MULTICALL3_ADDRESS.lower() and function_name == "tryAggregate":
            return self._try_aggregate(args[1])
        self._require_token(address)
        if function_name == "transferWithAuthorization":
            with self._lock:
                self._check_transfer(*args)  # eth_call: simulate only
            return None
        return self._token_view(function_name, args)

    def write_contract(
        self, address: str, abi: list[dict[str, Any]], function_name: str, *args: Any, data_suffix: str | None = None
    ) -> str:
        self._require_token(address)
        if function_name != "transferWithAuthorization":
            raise ContractRevert(f"unsupported function {function_name}")
        with self._lock:
            payer, to, value, nonce = self._check_transfer(*args)
            seed = encode(["address", "bytes32", "uint256"], [payer, bytes.fromhex(nonce[2:]), self.chain_id])
            tx_hash = "0x" + keccak(seed).hex()
            self._balances[payer] = self._balances.get(payer, self.initial_balance_atomic) - value
            self._balances[to] = self._balances.get(to, self.initial_balance_atomic) + value
            self._block += 1
            self._used[(payer, nonce)] = tx_hash
            self._transfers[tx_hash] = Transfer(tx_hash, self.token, payer, to, value, nonce, self._block)
            return tx_hash

    def send_transaction(self, to: str, data: bytes) -> str:
        raise ContractRevert("the simulated chain deploys no smart wallets")

    def wait_for_transaction_receipt(self, tx_hash: str) -> TransactionReceipt:
        with self._lock:
            transfer = self._transfers.get(tx_hash)
        if self.confirmations_stalled:
            raise TimeoutError(f"transaction {tx_hash} not confirmed yet")
        if transfer is None:
            raise TimeoutError(f"transaction {tx_hash} not found")
        log = {
            "address": transfer.token,
            "topics": [TRANSFER_TOPIC, "0x" + transfer.payer[2:].lower().rjust(64, "0"),
                       "0x" + transfer.to[2:].lower().rjust(64, "0")],
            "data": "0x" + transfer.value.to_bytes(32, "big").hex(),
        }
        return TransactionReceipt(status=1, block_number=transfer.block_number, tx_hash=tx_hash, logs=[log])

    # ---- the token contract ----

    def _require_token(self, address: str) -> None:
        if address.lower() != self.token.lower():
            raise ContractRevert(f"no contract at {address}")

    def _check_transfer(self, *args: Any) -> tuple[str, str, int, str]:
        """FiatTokenV2's checks, in its order; caller holds the lock. Returns (payer, to, value, nonce)."""
        payer, to, value, valid_after, valid_before, nonce = args[:6]
        signature = bytes(args[6]) if len(args) == 7 else bytes(args[7]) + bytes(args[8]) + bytes([int(args[6])])
        payer, to, nonce_hex = to_checksum_address(payer), to_checksum_address(to), _nonce_hex(nonce)
        now = int(time.time())
        if now <= int(valid_after):
            raise ContractRevert("FiatTokenV2: authorization is not yet valid")
        if now >= int(valid_before):
            raise ContractRevert("FiatTokenV2: authorization is expired")
        if (payer, nonce_hex) in self._used:
            raise ContractRevert("FiatTokenV2: authorization is used or canceled")
        message = {"from": payer, "to": to, "value": int(value), "validAfter": int(valid_after),
                   "validBefore": int(valid_before), "nonce": bytes.fromhex(nonce_hex[2:])}
        domain = TypedDataDomain(self.token_name, self.token_version, self.chain_id, self.token)
        types = {"TransferWithAuthorization": [TypedDataField(f["name"], f["type"]) for f in _AUTH_TYPES]}
        if not self.verify_typed_data(payer, domain, types, "TransferWithAuthorization", message, signature):
            raise ContractRevert("FiatTokenV2: invalid signature")
        if self._balances.get(payer, self.initial_balance_atomic) < int(value):
            raise ContractRevert("ERC20: transfer amount exceeds balance")
        return payer, to, int(value), nonce_hex

    def _token_view(self, function_name: str, args: Sequence[Any]) -> Any:
        if function_name == "balanceOf":
            return self.balance_of(args[0])
        if function_name == "name":
            return self.token_name
        if function_name == "version":
            return self.token_version
        if function_name == "authorizationState":
            return self.authorization_transfer(payer=args[0], nonce=args[1]) is not None
        raise ContractRevert(f"unsupported view {function_name}")

    def _try_aggregate(self, calls: Sequence[tuple[str, bytes]]) -> list[tuple[bool, bytes]]:
        """Multicall3.tryAggregate over the token's views (the SDK's revert diagnosis uses it)."""
        views = {
            keccak(text="balanceOf(address)")[:4]: ("balanceOf", ["address"], "uint256"),
            keccak(text="name()")[:4]: ("name", [], "string"),
            keccak(text="version()")[:4]: ("version", [], "string"),
            keccak(text="authorizationState(address,bytes32)")[:4]: ("authorizationState", ["address", "bytes32"], "bool"),
        }
        results: list[tuple[bool, bytes]] = []
        for target, data in calls:
            view = views.get(bytes(data[:4]))
            if view is None or target.lower() != self.token.lower():
                results.append((False, b""))
                continue
            name, arg_types, out_type = view
            try:
                value = self._token_view(name, decode(arg_types, bytes(data[4:])) if arg_types else ())
            except ContractRevert:
                results.append((False, b""))
                continue
            results.append((True, encode([out_type], [value])))
        return results
