"""The builtin Enrich Agent over several turns, through POST /api/v1/demo/chat: state on the session,
proposals with the price, the registry's tools after the ticket, and the answer to
"Does this answer your question?" (SPEC §5, issue #13)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from billing.models import LedgerEntry
from demo_sessions.models import DemoSession, Message
from support_project.api.errors import Conflict
from tickets.models import Ticket
from tickets.status import Actor, allowed_transitions, check_transition
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/demo/chat"


def _chat(persona: Any, message: str, session_id: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"message": message}
    if session_id:
        payload["session_id"] = session_id
    response = persona.client.post(CHAT, payload, format="json")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _names(body: dict[str, Any]) -> list[str]:
    return [c["name"] for c in body["tool_calls"]]


def test_a_vague_request_keeps_a_draft_in_the_database_and_the_details_file_it(agent_a: Any) -> None:
    first = _chat(agent_a, "I want to report a bug")
    assert (first["ticket"], first["tool_calls"]) == (None, [])
    assert first["messages"][-1]["text"].startswith("I can open a support ticket for you ($0.01, charged once).")
    state = DemoSession.objects.get(id=first["session_id"]).agent_state
    assert (state["pending"], state["lang"]) == ("details", "en")
    assert agent_a.balance_micros == 200_000

    second = _chat(agent_a, "the ledger endpoint returns 500 when I pass limit=100", first["session_id"])
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.subject, ticket.body) == (
        "bug", "The ledger endpoint returns 500 when I pass limit=100",
        "the ledger endpoint returns 500 when I pass limit=100")
    assert second["ticket"]["ticket_id"] == ticket.public_id
    assert agent_a.balance_micros == 190_000
    state = DemoSession.objects.get(id=first["session_id"]).agent_state
    assert state["pending"] == "triage" and "draft" not in state
    assert state["ticket"] == {"ticket_id": ticket.public_id, "number": ticket.number, "subject": ticket.subject,
                               "support_session_id": ticket.support_session_id,
                               "open_url": f"/demo?session={ticket.support_session_id}"}


def test_a_complaint_is_proposed_with_its_price_and_never_charged_without_a_yes(agent_a: Any) -> None:
    first = _chat(agent_a, "I can't log in")
    assert first["messages"][-1]["text"] == (
        "Sorry about that. Shall I open a support ticket about “I can't log in” (category account)? It costs $0.01.")
    assert (first["ticket"], Ticket.objects.count(), agent_a.balance_micros) == (None, 0, 200_000)
    declined = _chat(agent_a, "no thanks", first["session_id"])
    assert declined["messages"][-1]["text"].startswith("OK, I won't open a ticket and nothing was charged.")
    stray_yes = _chat(agent_a, "yes", first["session_id"])  # the proposal is gone: a later yes charges nothing
    assert (stray_yes["ticket"], Ticket.objects.count(), agent_a.balance_micros) == (None, 0, 200_000)
    assert LedgerEntry.objects.exclude(kind="grant").count() == 0


def test_a_yes_to_the_proposal_files_the_complaint(agent_a: Any) -> None:
    first = _chat(agent_a, "my webhooks stopped arriving since yesterday")
    second = _chat(agent_a, "yes please", first["session_id"])
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.body) == ("bug", "my webhooks stopped arriving since yesterday")
    assert _names(second)[0] == "submit_support_request"
    assert agent_a.balance_micros == 190_000


@pytest.mark.parametrize("message,lang,opened", [
    ("Quiero abrir un ticket: me cobraron dos veces por el mismo ticket", "es", "Hecho: abrí el ticket de soporte #"),
    ("Ouvrez un ticket : l'export de mes tickets expire après 30 secondes", "fr",
     "C'est fait : j'ai ouvert le ticket de support n° "),
    ("Bitte ein Ticket eröffnen: mein Export bricht nach 30 Sekunden ab", "de",
     "Erledigt — ich habe das Support-Ticket #"),
    ("Abra um ticket por favor: fui cobrado duas vezes pelo mesmo ticket", "pt", "Pronto — abri o ticket de suporte #"),
])
def test_the_fixed_sentences_are_in_the_users_language(agent_a: Any, message: str, lang: str, opened: str) -> None:
    body = _chat(agent_a, message)
    text = body["messages"][-1]["text"]
    assert text.startswith(opened)
    question = {"es": "¿Responde esto a tu pregunta?", "fr": "Cela répond-il à votre question ?",
                "de": "Beantwortet das deine Frage?", "pt": "Isso responde à sua pergunta?"}[lang]
    assert text.endswith(question)
    assert DemoSession.objects.get(id=body["session_id"]).agent_state["lang"] == lang
    ticket = Ticket.objects.get()
    assert ticket.body == message.split(":", 1)[1].strip()  # the user's words without the request lead
    triage = ticket.support_session.messages.get(author="triage_bot")
    assert triage.text.endswith(question)


def test_after_the_ticket_status_append_balance_close_go_through_the_registry(agent_a: Any) -> None:
    opened = _chat(agent_a, "report a bug: the ledger endpoint returns 500 when limit=100")
    sid, ticket = opened["session_id"], Ticket.objects.get()

    status = _chat(agent_a, "what's the status of my ticket?", sid)
    assert _names(status) == ["get_support_ticket"]
    assert status["tool_calls"][0]["arguments"] == {"ticket_id": ticket.public_id}
    assert status["messages"][-1]["text"].startswith(f"Ticket #{ticket.number} “{ticket.subject}” is open")

    added = _chat(agent_a, "add to my ticket: it also happens with limit=50", sid)
    assert _names(added) == ["append_support_message"]
    assert added["tool_calls"][0]["arguments"] == {"support_session_id": ticket.support_session_id,
                                                   "text": "it also happens with limit=50"}
    assert ticket.support_session.messages.filter(author="user", text="it also happens with limit=50").exists()

    balance = _chat(agent_a, "What is my balance?", sid)
    assert _names(balance) == ["agents_balance"]
    assert balance["messages"][-1]["text"] == "Your virtual balance is $0.19; a ticket costs $0.01."

    listed = _chat(agent_a, "list my tickets", sid)
    assert _names(listed) == ["list_support_tickets"]
    assert f"#{ticket.number} “{ticket.subject}” — open (bug)" in listed["messages"][-1]["text"]

    closed = _chat(agent_a, "close my ticket please", sid)
    assert _names(closed) == ["close_support_ticket"]
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.support_session.messages.filter(author="system", text="The customer closed this ticket.").exists()
    assert agent_a.balance_micros == 190_000  # one charge for the whole conversation


def test_yes_to_does_this_answer_resolves_the_ticket_by_the_customer(agent_a: Any) -> None:
    opened = _chat(agent_a, "contact support: my webhook signature verification fails with the new secret")
    ticket = Ticket.objects.get()
    events_before = Event.objects.count()
    _chat(agent_a, "what's the status of my ticket?", opened["session_id"])  # the question stays open meanwhile
    yes = _chat(agent_a, "yes, that answers it", opened["session_id"])
    assert _names(yes) == ["resolve_support_ticket"]
    assert yes["messages"][-1]["text"].startswith(f"Great — I marked ticket #{ticket.number} as resolved.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.awaiting_operator) == ("resolved", False)
    system = ticket.support_session.messages.filter(author="system").latest("created_at")
    assert (system.text, system.metadata) == ("The customer confirmed the answer solved it; the ticket is resolved.",
                                              {"resolved_by": "customer"})
    new_events = list(Event.objects.order_by("seq")[events_before:].values_list("type", "envelope"))
    assert [t for t, _ in new_events] == ["support.message_created", "support.ticket_updated"]
    assert json.loads(new_events[1][1])["data"]["changes"] == {"support_status": ["open", "resolved"]}
    assert agent_a.balance_micros == 190_000


def test_no_to_does_this_answer_asks_what_is_missing_and_mirrors_it_for_operators(agent_a: Any) -> None:
    opened = _chat(agent_a, "escalate: my usage key gets 403 INSUFFICIENT_SCOPE on the ledger")
    ticket = Ticket.objects.get()
    no = _chat(agent_a, "no", opened["session_id"])
    assert no["tool_calls"] == []
    assert no["messages"][-1]["text"].startswith("Sorry that didn't answer it. An operator will follow up")
    assert no["messages"][-1]["text"].endswith("What is still missing?")
    note = ticket.support_session.messages.filter(author="triage_bot").latest("created_at")
    assert note.text.startswith("The customer answered “no” to “Does this answer your question?”")
    missing = _chat(agent_a, "the key has billing:read and still gets 403", opened["session_id"])
    assert _names(missing) == ["append_support_message"]
    assert ticket.support_session.messages.filter(author="user", text="the key has billing:read and still gets 403")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.awaiting_operator) == ("open", True)
    assert agent_a.balance_micros == 190_000


def test_the_customer_confirmation_transition_is_its_own_actor() -> None:
    assert allowed_transitions("open", Actor.CUSTOMER) == ["closed"]  # the REST API's promise is unchanged
    assert allowed_transitions("open", Actor.CUSTOMER_CONFIRMATION) == ["resolved"]
    assert allowed_transitions("pending", Actor.CUSTOMER_CONFIRMATION) == ["resolved"]
    with pytest.raises(Conflict):
        check_transition("closed", "resolved", Actor.CUSTOMER_CONFIRMATION)


def test_resolving_a_closed_ticket_is_a_clean_tool_error(agent_a: Any) -> None:
    opened = _chat(agent_a, "report a bug: the ledger endpoint returns 500 when limit=100")
    ticket = Ticket.objects.get()
    agent_a.client.post(f"/api/v1/support/tickets/{ticket.public_id}/close")
    messages_before = Message.objects.filter(session=ticket.support_session).count()
    yes = _chat(agent_a, "yes, that answers it", opened["session_id"])
    [call] = yes["tool_calls"]
    assert (call["name"], call["error"]["code"]) == ("resolve_support_ticket", "INVALID_STATUS_TRANSITION")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert Message.objects.filter(session=ticket.support_session).count() == messages_before


def test_another_agents_ticket_is_never_touched_by_the_tools(agent_a: Any, agent_b: Any) -> None:
    _chat(agent_b, "report a bug: the ledger endpoint returns 500 when limit=100")
    theirs = Ticket.objects.get()
    body = _chat(agent_a, "close my ticket")
    assert _names(body) == ["list_support_tickets"]  # agent A has none: nothing to close
    assert body["messages"][-1]["text"].startswith("You have no open ticket I could use.")
    theirs.refresh_from_db()
    assert theirs.status == "open"
