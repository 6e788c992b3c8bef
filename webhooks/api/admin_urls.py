"""Staff-scope subscriptions (agent null): they receive every agent's support.* events."""

from django.urls import path

from . import views

P = "event-callbacks/subscriptions"

urlpatterns = [
    path(P, views.StaffSubscriptionsView.as_view(), name="admin-webhooks-subscriptions"),
    path(f"{P}/<str:subscription_id>", views.StaffSubscriptionDetailView.as_view(), name="admin-webhooks-subscription"),
    path(f"{P}/<str:subscription_id>/rotate-secret", views.StaffRotateSecretView.as_view(),
         name="admin-webhooks-rotate-secret"),
    path(f"{P}/<str:subscription_id>/test", views.StaffTestView.as_view(), name="admin-webhooks-test"),
    path(f"{P}/<str:subscription_id>/deliveries", views.StaffDeliveriesView.as_view(),
         name="admin-webhooks-deliveries"),
    path("event-callbacks/deliveries/<str:delivery_id>/redeliver", views.StaffRedeliverView.as_view(),
         name="admin-webhooks-redeliver"),
]
