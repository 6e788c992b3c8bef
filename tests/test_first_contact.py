"""First contact: `/` is a landing page (not Django's 404), `/favicon.ico` exists, and the demo seed
shows the live balance when reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Agent
from billing.services import ledger_debit


@pytest.mark.django_db
def test_the_landing_page_says_what_this_is_and_links_everywhere(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1 id=\"home-h\">A paid support desk for agents</h1>" in html
    for href in ("/demo", "/ui-traffic", "/cookbook", "/api/docs", "/cookbook/billing#top-up-with-x402"):
        assert f'href="{href}"' in html
    assert "<script" not in html and "style=" not in html
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html


def test_the_landing_page_is_get_only(client: Client) -> None:
    assert client.post("/").status_code == 405


def test_the_favicon_is_an_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response["Cache-Control"] == "public, max-age=86400"
    body = response.content
    assert body[:4] == b"\x00\x00\x01\x00" and b"PNG" in body[:40]


def test_the_svg_favicon_is_a_static_file() -> None:
    from django.contrib.staticfiles import finders

    found = finders.find("img/favicon.svg")
    assert found and "<svg" in Path(str(found)).read_text()


@pytest.mark.django_db
def test_seed_demo_reuse_prints_the_saved_tokens_with_the_live_balance(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "tokens.json"
    call_command("seed_demo", "--reuse", "--json", "--out", str(out))
    first = json.loads(capsys.readouterr().out)
    assert first["virtual_balance_usd"] == "0.20"
    from django.db import transaction

    with transaction.atomic():
        ledger_debit(agent_id=first["agent_id"], amount_micros=50_000, kind="ticket_charge", reference="tkt_test")
    call_command("seed_demo", "--reuse", "--json", "--out", str(out))
    again = json.loads(capsys.readouterr().out)
    assert again == {**first, "virtual_balance_usd": "0.15"}
    assert Agent.objects.count() == 1
    # Tokens that no longer work (a fresh database, a rotated token) are replaced by a new seed.
    out.write_text(json.dumps({**first, "agent_token": "411_" + "x" * 43}))
    call_command("seed_demo", "--reuse", "--json", "--out", str(out))
    fresh = json.loads(capsys.readouterr().out)
    assert fresh["agent_id"] != first["agent_id"] and fresh["virtual_balance_usd"] == "0.20"
    assert json.loads(out.read_text())["agent_token"] == fresh["agent_token"]


def test_every_top_up_link_lands_on_the_recipes_section(client: Client) -> None:
    # The 402 message, /, /demo and the README point to /cookbook/billing#top-up-with-x402.
    page = client.get("/cookbook/billing").content.decode()
    assert '<h2 id="top-up-with-x402">Top up with x402</h2>' in page
