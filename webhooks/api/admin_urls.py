"""Staff-scope subscriptions (agent null): they receive every agent's support.* events."""

from support_project.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("event-callbacks/subscriptions", views.StaffSubscriptionViewSet, basename="admin-webhooks-subscriptions")
router.register("event-callbacks/deliveries", views.StaffDeliveryViewSet, basename="admin-webhooks-deliveries")

urlpatterns = router.urls
