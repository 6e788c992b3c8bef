from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # helpdesk's REST API (DRF router) lives under helpdesk/api/: tickets/, followups/, ...
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
