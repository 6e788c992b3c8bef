"""Settings fail loudly: a value the process can't read stops start-up and names the variable.

Each case starts a fresh interpreter (settings are read once per process) with a clean environment
and the variable under test, and asserts the exit status and the message — never a silent default.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "s" * 50, "X402_PAY_TO": PAY_TO}


def _start(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "X402_", "DB_", "RATE_", "WEBHOOK_", "AGENT_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "support_project.settings", **variables})
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.X402_PAY_TO)"
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"AGENT_SELF_MINT": "yess"}, "AGENT_SELF_MINT='yess' is not a boolean"),
        ({"WEBHOOK_ALLOW_PRIVATE_TARGETS": "2"}, "WEBHOOK_ALLOW_PRIVATE_TARGETS='2' is not a boolean"),
        ({"DB_POOL_MAX_SIZE": "twenty"}, "DB_POOL_MAX_SIZE='twenty' is not a whole number"),
        ({"TICKET_PRICE_MICROS": "0.01"}, "TICKET_PRICE_MICROS='0.01' is not a whole number"),
        ({"TICKET_PRICE_MICROS": "0"}, "TICKET_PRICE_MICROS=0 is below its minimum of 1"),
        ({"RATE_LIMIT_PER_MINUTE": "-5"}, "RATE_LIMIT_PER_MINUTE=-5 is below its minimum of 0"),
        ({"TOPUP_MIN_MICROS": "0"}, "TOPUP_MIN_MICROS=0 is below its minimum of 1"),
        ({"TOPUP_MIN_MICROS": "500", "TOPUP_MAX_MICROS": "100"}, "TOPUP_MAX_MICROS=100 is below TOPUP_MIN_MICROS=500"),
        ({"WEBHOOK_TIMEOUT_SECONDS": "ten"}, "WEBHOOK_TIMEOUT_SECONDS='ten' is not a number"),
        ({"LLM_TIMEOUT_SECONDS": "nan"}, "LLM_TIMEOUT_SECONDS='nan' is not a finite number"),
        ({"LLM_PROVIDER": "gpt"}, "LLM_PROVIDER='gpt' must be one of: builtin, openai"),
        ({"DEBUG": "0", "X402_PAY_TO": PAY_TO}, "SECRET_KEY is not set"),
        ({"DEBUG": " off "}, "SECRET_KEY is not set"),  # spelled words and spaces are read, not guessed
        ({"DEBUG": "0", "SECRET_KEY": "s" * 50}, "X402_PAY_TO is not set"),
        ({**PRODUCTION, "X402_PAY_TO": "0x1234"}, "X402_PAY_TO='0x1234' is not an EVM address"),
    ],
)
def test_it_refuses_to_start_on_an_unreadable_or_missing_setting(variables: dict[str, str], message: str) -> None:
    result = _start(**variables)
    assert result.returncode == 1
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, f"True {PAY_TO}"),  # the local default: DEBUG on, the well-known test address
        ({"DEBUG": "", "X402_PAY_TO": ""}, f"True {PAY_TO}"),  # blank = unset = the default
        (PRODUCTION, f"False {PAY_TO}"),
    ],
)
def test_it_starts_on_readable_settings(variables: dict[str, str], expected: str) -> None:
    result = _start(**variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
