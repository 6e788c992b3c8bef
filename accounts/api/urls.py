from django.urls import path

from support_project.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("agents/usage-keys", views.UsageKeyViewSet, basename="agents-usage-keys")

urlpatterns = [
    path("agents", views.MintView.as_view(), name="agents-mint"),
    path("agents/me", views.MeView.as_view(), name="agents-me"),
    path("agents/token/rotate", views.TokenRotateView.as_view(), name="agents-token-rotate"),
    *router.urls,
]
