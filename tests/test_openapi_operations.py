"""The API's operations, pinned: a refactor (views → viewsets, routers) can't drop, rename or add one.

Each row is (method, path, operationId) as /openapi.json lists it. Changing this list is an API
change for clients: do it on purpose, with the SPEC.
"""

from __future__ import annotations

from rest_framework.test import APIClient

OPERATIONS = {
    ("DELETE", "/api/admin/event-callbacks/subscriptions/{subscription_id}", "api_admin_event_callbacks_subscriptions_destroy"),
    ("DELETE", "/api/v1/agents/usage-keys/{key_id}", "api_v1_agents_usage_keys_destroy"),
    ("DELETE", "/api/v1/event-callbacks/subscriptions/{subscription_id}", "api_v1_event_callbacks_subscriptions_destroy"),
    ("GET", "/api/admin/event-callbacks/subscriptions", "api_admin_event_callbacks_subscriptions_list"),
    ("GET", "/api/admin/event-callbacks/subscriptions/{subscription_id}", "api_admin_event_callbacks_subscriptions_retrieve"),
    ("GET", "/api/admin/event-callbacks/subscriptions/{subscription_id}/deliveries",
     "api_admin_event_callbacks_subscriptions_deliveries_list"),
    ("GET", "/api/admin/support/tickets", "staff_tickets_list"),
    ("GET", "/api/admin/support/tickets/{ticket_id}", "staff_tickets_get"),
    ("GET", "/api/v1/agents/balance", "api_v1_agents_balance_retrieve"),
    ("GET", "/api/v1/agents/ledger", "api_v1_agents_ledger_retrieve"),
    ("GET", "/api/v1/agents/me", "api_v1_agents_me_retrieve"),
    ("GET", "/api/v1/agents/usage-keys", "api_v1_agents_usage_keys_retrieve"),
    ("GET", "/api/v1/demo/sessions", "demo_sessions_list"),
    ("GET", "/api/v1/demo/sessions/{session_id}", "api_v1_demo_sessions_retrieve"),
    ("GET", "/api/v1/event-callbacks/catalog", "api_v1_event_callbacks_catalog_retrieve"),
    ("GET", "/api/v1/event-callbacks/subscriptions", "api_v1_event_callbacks_subscriptions_list"),
    ("GET", "/api/v1/event-callbacks/subscriptions/{subscription_id}", "api_v1_event_callbacks_subscriptions_retrieve"),
    ("GET", "/api/v1/event-callbacks/subscriptions/{subscription_id}/deliveries",
     "api_v1_event_callbacks_subscriptions_deliveries_list"),
    ("GET", "/api/v1/events", "api_v1_events_retrieve"),
    ("GET", "/api/v1/support/tickets", "support_tickets_list"),
    ("GET", "/api/v1/support/tickets/{ticket_id}", "api_v1_support_tickets_retrieve"),
    ("PATCH", "/api/admin/event-callbacks/subscriptions/{subscription_id}",
     "api_admin_event_callbacks_subscriptions_partial_update"),
    ("PATCH", "/api/admin/support/tickets/{ticket_id}", "staff_tickets_update"),
    ("PATCH", "/api/v1/event-callbacks/subscriptions/{subscription_id}", "api_v1_event_callbacks_subscriptions_partial_update"),
    ("POST", "/api/admin/event-callbacks/deliveries/{delivery_id}/redeliver",
     "api_admin_event_callbacks_deliveries_redeliver_create"),
    ("POST", "/api/admin/event-callbacks/subscriptions", "api_admin_event_callbacks_subscriptions_create"),
    ("POST", "/api/admin/event-callbacks/subscriptions/{subscription_id}/rotate-secret",
     "api_admin_event_callbacks_subscriptions_rotate_secret_create"),
    ("POST", "/api/admin/event-callbacks/subscriptions/{subscription_id}/test",
     "api_admin_event_callbacks_subscriptions_test_create"),
    ("POST", "/api/admin/support/tickets/{ticket_id}/bounty", "staff_tickets_bounty"),
    ("POST", "/api/admin/support/tickets/{ticket_id}/attachments", "staff_tickets_attachments_create"),
    ("POST", "/api/v1/demo/sessions/{session_id}/attachments", "demo_sessions_attachments_create"),
    ("GET", "/api/v1/attachments/{attachment_id}", "attachments_download"),
    ("POST", "/api/admin/support/tickets/{ticket_id}/reply", "staff_tickets_reply"),
    ("POST", "/api/v1/agents", "api_v1_agents_create"),
    ("POST", "/api/v1/agents/token/rotate", "api_v1_agents_token_rotate_create"),
    ("POST", "/api/v1/agents/topup", "api_v1_agents_topup_create"),
    ("POST", "/api/v1/agents/usage-keys", "api_v1_agents_usage_keys_create"),
    ("POST", "/api/v1/demo/chat", "api_v1_demo_chat_create"),
    ("POST", "/api/v1/demo/sessions", "api_v1_demo_sessions_create"),
    ("POST", "/api/v1/demo/sessions/{session_id}/messages", "api_v1_demo_sessions_messages_create"),
    ("POST", "/api/v1/event-callbacks/deliveries/{delivery_id}/redeliver", "api_v1_event_callbacks_deliveries_redeliver_create"),
    ("POST", "/api/v1/event-callbacks/subscriptions", "api_v1_event_callbacks_subscriptions_create"),
    ("POST", "/api/v1/event-callbacks/subscriptions/{subscription_id}/rotate-secret",
     "api_v1_event_callbacks_subscriptions_rotate_secret_create"),
    ("POST", "/api/v1/event-callbacks/subscriptions/{subscription_id}/test",
     "api_v1_event_callbacks_subscriptions_test_create"),
    ("POST", "/api/v1/support/tickets", "api_v1_support_tickets_create"),
    ("POST", "/api/v1/support/tickets/{ticket_id}/close", "api_v1_support_tickets_close_create"),
    ("POST", "/api/v1/support/tickets/{ticket_id}/rating", "api_v1_support_tickets_rating_create"),
}


def test_openapi_lists_exactly_the_pinned_operations(anon: APIClient) -> None:
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    operations = {
        (method.upper(), path, operation["operationId"])
        for path, item in response.json()["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert sorted(operations - OPERATIONS) == [], "new or renamed operations"
    assert sorted(OPERATIONS - operations) == [], "dropped or renamed operations"
