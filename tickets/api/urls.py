from support_project.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("support/tickets", views.TicketViewSet, basename="support-tickets")

urlpatterns = router.urls
