"""The product's URLs plus the baseline endpoint."""

from django.urls import path

from support_project.urls import urlpatterns as product_urlpatterns

from .views import BaselineView

urlpatterns = [
    path("bench/baseline", BaselineView.as_view(), name="bench-baseline"),
    *product_urlpatterns,
]
