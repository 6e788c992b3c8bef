"""/connect (SPEC §5: no support wizard) and the /demo page shell."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SID = "0123456789abcdef0123456789abcdef"


def test_enrich_agent_redirects_to_demo():
    response = Client().get("/connect?action=enrich_agent")
    assert (response.status_code, response["Location"]) == (302, "/demo")


def test_enrich_agent_keeps_a_valid_session_and_drops_anything_else():
    assert Client().get(f"/connect?action=enrich_agent&session={SID}")["Location"] == f"/demo?session={SID}"
    assert Client().get("/connect?action=enrich_agent&session=javascript:alert(1)")["Location"] == "/demo"


@pytest.mark.parametrize("action", ["support", "support_ticket", "ticket", "help", "SUPPORT"])
def test_support_actions_explain_there_is_no_wizard(action):
    response = Client().get(f"/connect?action={action}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no support wizard" in html
    assert 'href="/demo"' in html
    assert "file a support ticket — my export times out after 30 seconds, expected a CSV" in html
    assert "curl -sS -X POST http://testserver/api/v1/support/tickets" in html
    assert "/api/v1/demo/sessions/$SID/messages" in html
    assert "<form" not in html


@pytest.mark.parametrize("query", ["?action=wizard", "?action=", "", "?action=%3Cscript%3Ealert(1)%3C/script%3E"])
def test_unknown_or_missing_actions_are_a_404_page_listing_the_known_ones(query):
    response = Client().get(f"/connect{query}")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Unknown connect link" in html
    for action in ("enrich_agent", "support", "support_ticket", "ticket", "help"):
        assert f'href="/connect?action={action}"' in html
    assert "<script>alert" not in html


def test_the_demo_page_renders_the_client_shell(settings):
    settings.AGENT_SELF_MINT = True
    response = Client().get(f"/demo?session={SID}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-initial-session="{SID}"' in html
    assert 'id="mint-button"' in html
    assert "/static/js/demo.js" in html and "/static/css/demo.css" in html
    assert "<noscript>" in html


def test_the_demo_page_hides_try_it_when_self_mint_is_off_and_ignores_bad_session_ids(settings):
    settings.AGENT_SELF_MINT = False
    html = Client().get('/demo?session="><script>').content.decode()
    assert 'id="mint-button"' not in html
    assert 'data-initial-session=""' in html
