from django.urls import path

from support_project.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("event-callbacks/subscriptions", views.SubscriptionViewSet, basename="webhooks-subscriptions")
router.register("event-callbacks/deliveries", views.DeliveryViewSet, basename="webhooks-deliveries")

urlpatterns = [
    path("event-callbacks/catalog", views.CatalogView.as_view(), name="webhooks-catalog"),
    *router.urls,
    path("events", views.EventFeedView.as_view(), name="events-feed"),
]
