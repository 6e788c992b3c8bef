"""POST /api/v1/demo/chat with the builtin provider (SPEC §4.2, §5): tickets, triage, answers, errors."""

from __future__ import annotations

import re

import pytest

from billing.models import LedgerEntry
from demo_sessions.models import DemoSession, Message, preview_of
from tickets.models import Ticket
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/demo/chat"
EXPORT = "file a support ticket — my export times out after 30 seconds, expected a CSV"
BODY = "my export times out after 30 seconds, expected a CSV"  # the user's words without the request lead
TRIAGE_END = "Does this answer your question?"


def _counts():  # type: ignore[no-untyped-def]
    return (DemoSession.objects.count(), Message.objects.count(), Ticket.objects.count(), LedgerEntry.objects.count())


def _chat(persona, message, **extra):  # type: ignore[no-untyped-def]
    return persona.client.post(CHAT, {"message": message, **extra}, format="json")


def test_it_files_a_ticket_from_the_chat_charges_once_and_triages(agent_a):
    ledger_before = LedgerEntry.objects.count()
    response = _chat(agent_a, EXPORT)
    assert response.status_code == 200, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    chat = DemoSession.objects.get(id=body["session_id"])
    assert (chat.session_kind, chat.title, chat.agent_id) == ("enrich", EXPORT, agent_a.agent.id)

    # Charged $0.01, exactly once.
    assert agent_a.balance_micros == 190_000
    assert LedgerEntry.objects.count() == ledger_before + 1
    charge = LedgerEntry.objects.get(kind="ticket_charge")
    assert (charge.amount_micros, charge.reference) == (-10_000, ticket.public_id)

    # The ticket as the REST route would have opened it, linked to this chat.
    assert (ticket.category, ticket.subject, ticket.body) == ("bug", "My export times out after 30 seconds", BODY)
    assert ticket.source_session_id == chat.id
    assert body["ticket"] == {
        "ticket_id": ticket.public_id, "number": ticket.number, "support_session_id": ticket.support_session_id,
        "open_url": f"/demo?session={ticket.support_session_id}", "support_status": "open", "category": "bug",
        "subject": "My export times out after 30 seconds", "created_at": body["ticket"]["created_at"],
        "charged_usd": "0.01", "payment_method": "virtual_balance", "virtual_balance_usd": "0.19",
        "bounty": {"eligible": True, "status": "pending_review", "amount_usd": "1.00"},
        "allowed_transitions": ["closed"],
    }

    # Tool calls: the ticket, then triage reading the most relevant recipe.
    calls = body["tool_calls"]
    assert [c["name"] for c in calls] == ["submit_support_request", "cookbook_search", "cookbook_read"]
    assert calls[0]["arguments"] == {"category": "bug", "subject": "My export times out after 30 seconds", "body": BODY}
    assert calls[0]["result"]["ticket_id"] == ticket.public_id and calls[0]["error"] is None
    assert calls[1]["arguments"] == {"query": f"My export times out after 30 seconds. {BODY}"}
    assert calls[1]["result"]["results"][0]["slug"] == "troubleshooting_exports"
    assert calls[2]["arguments"] == {"slug": "troubleshooting_exports"}

    # The enrich chat: user, the system link message, the assistant — and the response lists exactly those.
    stored = list(chat.messages.order_by("created_at", "id"))
    assert [m.author for m in stored] == ["user", "system", "assistant"]
    assert [m["id"] for m in body["messages"]] == [m.id for m in stored]
    assert set(body["messages"][0]) == {"id", "author", "author_name", "text", "text_html", "created_at", "metadata",
                                        "attachments"}
    user, system, assistant = stored
    assert user.text == EXPORT
    assert f"/demo?session={ticket.support_session_id}" in system.text
    assert assistant.text.startswith(f"Done — I opened support ticket #{ticket.number} “My export times out after 30 seconds”")
    assert "/cookbook/troubleshooting_exports" in assistant.text
    assert "Resume, don't restart." in assistant.text
    assert assistant.text.endswith(TRIAGE_END)
    assert assistant.metadata["tool_calls"] == calls
    assert assistant.metadata["ticket_id"] == ticket.public_id
    assert chat.last_message_preview == preview_of(assistant.text)

    # The support thread: the user's text, then the triage bot (operators still owe a reply).
    thread = list(ticket.support_session.messages.order_by("created_at", "id"))
    assert [(m.author, m.internal) for m in thread] == [("user", False), ("triage_bot", False)]
    assert thread[0].text == BODY
    triage = thread[1].text
    assert triage.startswith(f"Triage for ticket #{ticket.number}: ")
    assert triage.endswith(TRIAGE_END)
    assert triage in assistant.text
    assert thread[1].metadata == {"recipe": "troubleshooting_exports", "source": "enrich_chat"}
    ticket.refresh_from_db()
    assert (ticket.awaiting_operator, ticket.message_count, ticket.status) == (True, 2, "open")
    assert list(Event.objects.order_by("seq").values_list("type", flat=True)) == [
        "support.ticket_created", "support.message_created",
    ]


def test_a_second_turn_continues_the_same_chat(agent_a):
    first = _chat(agent_a, "How do I verify webhook signatures?").json()
    second = _chat(agent_a, "And which scopes can a usage key have?", session_id=first["session_id"])
    assert second.status_code == 200
    assert second.json()["session_id"] == first["session_id"]
    assert DemoSession.objects.count() == 1
    assert Message.objects.filter(session_id=first["session_id"]).count() == 4


def test_a_question_is_answered_from_the_cookbook_and_charges_nothing(agent_a):
    response = _chat(agent_a, "How do I verify webhook signatures?")
    assert response.status_code == 200
    body = response.json()
    assert body["ticket"] is None
    assert [c["name"] for c in body["tool_calls"]] == ["cookbook_search", "cookbook_read"]
    assert body["tool_calls"][1]["arguments"] == {"slug": "event_callbacks"}
    assert [m["author"] for m in body["messages"]] == ["user", "assistant"]
    answer = body["messages"][1]["text"]
    assert answer.startswith("From the cookbook — [“Event callbacks (signed webhooks)”](/cookbook/event_callbacks#")
    assert "Full recipe: [/cookbook/event_callbacks#" in answer
    html = body["messages"][1]["text_html"]
    assert '<a href="/cookbook/event_callbacks#' in html and "<script" not in html
    assert body["messages"][0]["text_html"] is None  # the user's own text is shown as typed
    assert agent_a.balance_micros == 200_000
    assert Ticket.objects.count() == 0


def test_a_vague_request_asks_for_detail_and_files_nothing(agent_a):
    response = _chat(agent_a, "I want to open a ticket")
    assert response.status_code == 200
    body = response.json()
    assert (body["ticket"], body["tool_calls"]) == (None, [])
    assert [m["author"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][1]["text"].startswith("I can open a support ticket for you ($0.01, charged once). "
                                                  "What went wrong?")
    assert Ticket.objects.count() == 0
    assert agent_a.balance_micros == 200_000


def test_a_broke_agent_is_told_how_to_pay_and_nothing_is_created(broke_agent):
    response = _chat(broke_agent, "open a ticket: I was charged twice for ticket 12")
    assert response.status_code == 200
    body = response.json()
    assert body["ticket"] is None
    [call] = body["tool_calls"]
    assert call["name"] == "submit_support_request" and call["result"] is None
    assert call["error"]["code"] == "PAYMENT_REQUIRED"
    assert (call["error"]["price_usd"], call["error"]["virtual_balance_usd"]) == ("0.01", "0.00")
    assert call["error"]["x402"]["accepts"][0]["amount"] == "10000"
    text = body["messages"][-1]["text"]
    assert text.startswith("I couldn't open the ticket: it costs $0.01 and your virtual balance is $0.00. "
                           "Nothing was created and nothing was charged.")
    assert "PAYMENT-SIGNATURE" in text and "POST /api/v1/support/tickets" in text and "/cookbook/billing" in text
    assert "subject: I was charged twice for ticket 12" in text
    assert Ticket.objects.count() == 0
    assert LedgerEntry.objects.filter(agent=broke_agent.agent).exclude(kind="grant").count() == 0
    assert broke_agent.balance_micros == 0
    # Only the chat itself exists: its user message and the assistant's explanation.
    assert [m.author for m in Message.objects.order_by("created_at", "id")] == ["user", "assistant"]


@pytest.mark.parametrize("payload,field", [
    ({"message": ""}, "message"),
    ({"message": "   "}, "message"),
    ({"message": "x" * 20_000}, "message"),
    ({"message": 42}, "message"),
    ({}, "message"),
    ({"message": "hi", "model": "gpt"}, "model"),
    ({"message": "hi", "session_id": "not-a-session"}, "session_id"),
])
def test_bad_input_is_400_and_stores_nothing(agent_a, payload, field):
    before = _counts()
    response = agent_a.client.post(CHAT, payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]
    assert _counts() == before


def test_ten_thousand_characters_are_accepted(agent_a):
    assert _chat(agent_a, "x" * 10_000).status_code == 200


def test_another_agents_session_is_404(agent_a, agent_b):
    theirs = _chat(agent_b, "How do I verify webhook signatures?").json()["session_id"]
    before = _counts()
    response = _chat(agent_a, EXPORT, session_id=theirs)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert _counts() == before
    assert agent_a.balance_micros == 200_000


def test_a_support_session_is_409_support_thread_no_llm_and_nothing_is_stored(agent_a):
    opened = agent_a.client.post("/api/v1/support/tickets", {
        "category": "other", "subject": "Question", "body": "How do exports work?"}, format="json").json()
    before, balance = _counts(), agent_a.balance_micros
    response = _chat(agent_a, EXPORT, session_id=opened["support_session_id"])
    assert response.status_code == 409
    assert response.json()["code"] == "SUPPORT_THREAD_NO_LLM"
    assert _counts() == before
    assert agent_a.balance_micros == balance


def test_scopes(usage_key):
    assert usage_key(["billing:read"]).post(CHAT, {"message": "hi"}, format="json").status_code == 403
    chat_only = usage_key(["chat"]).post(CHAT, {"message": EXPORT}, format="json")
    assert chat_only.status_code == 200
    [call] = chat_only.json()["tool_calls"]
    assert call["error"]["code"] == "INSUFFICIENT_SCOPE"
    assert Ticket.objects.count() == 0


def test_no_token_is_401(anon):
    assert anon.post(CHAT, {"message": "hi"}, format="json").status_code == 401


def test_the_new_chat_is_titled_from_the_message(agent_a):
    long = "Why " + "does my webhook signature never verify " * 5
    body = _chat(agent_a, long).json()
    title = DemoSession.objects.get(id=body["session_id"]).title
    assert len(title) <= 80 and title.endswith("…")
    assert re.match(r"^Why does my webhook signature never verify does", title)
