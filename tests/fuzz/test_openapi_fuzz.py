"""Property-based fuzzing of every operation in /openapi.json (schemathesis, in-process WSGI).

For each operation schemathesis generates valid and invalid requests (its coverage phase adds
boundary values); we call the real app on PostgreSQL and require:

- no 5xx, ever;
- the status code, Content-Type, headers and body match what the operation documents
  (every 4xx/5xx must be the SPEC §1 envelope).

Requests carry an agent's admin bearer, or a staff token on /api/admin/. Path parameters are
sometimes swapped for real ids (a seeded ticket, sessions, subscriptions, deliveries, a usage
key) so the fuzzer gets past the 404s; the choice is a hash of the case, so runs are repeatable.
The paid route is charged for real from a $5.00 balance; some ticket opens come from an agent
with $0.00, so fuzzed PAYMENT-SIGNATURE values reach the x402 decoder.

FUZZ_MAX_EXAMPLES (default 12) bounds the generated examples per operation; bench/fuzz_long.py
runs the same test with many more.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support_project.wsgi import application

from .conftest import FuzzWorld, keep_test_connection

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
PAID_ROUTE = ("POST", "/api/v1/support/tickets")

# (method, path template) → Counter of status codes; bench/fuzz_long.py prints it.
STATS: dict[tuple[str, str], Counter[int]] = {}

schema = schemathesis.openapi.from_wsgi("/openapi.json", application)


def _pick(case_part: Any, salt: str, options: int) -> int:
    """A repeatable choice in range(options) from the generated data (no extra randomness)."""
    blob = json.dumps(case_part, sort_keys=True, default=repr) + salt
    return zlib.crc32(blob.encode()) % options


def _aim_at_real_ids(case: Any, world: FuzzWorld, staff: bool) -> None:
    real = world.staff_ids if staff else world.customer_ids
    params = case.path_parameters or {}
    for name in list(params):
        candidates = real.get(name, [])
        if not candidates:
            continue
        choice = _pick(params, name, len(candidates) + 1)  # 0 keeps the generated value
        if choice:
            params[name] = candidates[choice - 1]


def _token_for(case: Any, world: FuzzWorld, staff: bool) -> str:
    if staff:
        return world.staff_token
    if (case.method.upper(), case.path) == PAID_ROUTE and _pick(case.body, "payer", 3) == 0:
        return world.broke_token
    return world.agent_token


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_and_never_5xx(case: Any, fuzz_world: FuzzWorld) -> None:
    staff = case.path.startswith("/api/admin/")
    _aim_at_real_ids(case, fuzz_world, staff)
    token = _token_for(case, fuzz_world, staff)
    headers = {"Authorization": f"Bearer {token}"}

    with keep_test_connection():
        response = case.call(headers=headers)
    STATS.setdefault((case.method.upper(), case.path), Counter())[response.status_code] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)

    if token == fuzz_world.broke_token:
        # $0.00 and no valid payment: a ticket must never be created for free.
        assert response.status_code != 201, response.text
    if (case.method.upper(), case.path) == ("POST", "/api/v1/agents/token/rotate") and response.status_code == 200:
        fuzz_world.agent_token = response.json()["token"]  # keep fuzzing as the same agent
