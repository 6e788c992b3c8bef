"""URL wiring only: each app owns its routes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from . import health, home

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("demo_sessions.api.urls")),
    path("", include("agent.api.urls")),
    path("", include("webhooks.api.urls")),
]
api_admin = [
    path("", include("tickets.api.admin_urls")),
    path("", include("webhooks.api.admin_urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("favicon.ico", home.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    # The split view serves its init script from a URL, not inline (the CSP has no 'unsafe-inline').
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="openapi"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("api/admin/", include(api_admin)),
    path("django-admin/", admin.site.urls),
    path("", include("tickets.urls")),
    path("", include("demo_sessions.urls")),
    path("", include("cookbook.urls")),
]
