from django.urls import path

from . import views

P = "event-callbacks/subscriptions"

urlpatterns = [
    path("event-callbacks/catalog", views.CatalogView.as_view(), name="webhooks-catalog"),
    path(P, views.SubscriptionsView.as_view(), name="webhooks-subscriptions"),
    path(f"{P}/<str:subscription_id>", views.SubscriptionDetailView.as_view(), name="webhooks-subscription"),
    path(f"{P}/<str:subscription_id>/rotate-secret", views.RotateSecretView.as_view(), name="webhooks-rotate-secret"),
    path(f"{P}/<str:subscription_id>/test", views.TestView.as_view(), name="webhooks-test"),
    path(f"{P}/<str:subscription_id>/deliveries", views.DeliveriesView.as_view(), name="webhooks-deliveries"),
    path("event-callbacks/deliveries/<str:delivery_id>/redeliver", views.RedeliverView.as_view(),
         name="webhooks-redeliver"),
    path("events", views.EventFeedView.as_view(), name="events-feed"),
]
