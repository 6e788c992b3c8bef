"""Staff ticket routes, included under /api/admin/."""

from support_project.api.routers import ApiRouter

from . import admin_views as views

router = ApiRouter()
router.register("support/tickets", views.StaffTicketViewSet, basename="staff-tickets")

urlpatterns = router.urls
