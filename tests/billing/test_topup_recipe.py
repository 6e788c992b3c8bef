"""The billing recipe's top-up script works as printed: run it against a live server that talks to
the real local facilitator over HTTP (the same setup `bin/run` starts)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from billing.models import LedgerEntry
from billing.x402.facilitator_app import RunningFacilitator
from tests.conftest import make_agent
from tests.x402_support import start_local_facilitator


def recipe_script() -> str:
    text = (django_settings.BASE_DIR / "cookbook/recipes/billing.md").read_text()
    section = text.split("## Top up with x402", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the top-up section has exactly one Python script"
    return blocks[0]


@pytest.fixture
def facilitator(settings: Any) -> Iterator[RunningFacilitator]:
    running = start_local_facilitator(initial_balance_micros=100_000_000)
    settings.X402_FACILITATOR_URL = running.url
    yield running
    running.stop()


@pytest.mark.django_db(transaction=True)
def test_the_recipes_topup_script_tops_up(live_server: Any, facilitator: RunningFacilitator) -> None:
    persona = make_agent("Script agent", grant_micros=0)
    env = {**os.environ, "API": live_server.url, "TOKEN": persona.token}
    env.pop("PRIVATE_KEY", None)
    result = subprocess.run([sys.executable, "-c", recipe_script(), "2.50"], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("201 {"), result.stdout
    assert "'virtual_balance_usd': '2.50'" in result.stdout
    entry = LedgerEntry.objects.get(agent=persona.agent)
    assert (entry.kind, entry.amount_micros) == ("x402_topup", 2_500_000)
    assert persona.balance_micros == 2_500_000
