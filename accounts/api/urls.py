from django.urls import path

from . import views

urlpatterns = [
    path("agents", views.MintView.as_view(), name="agents-mint"),
    path("agents/me", views.MeView.as_view(), name="agents-me"),
    path("agents/token/rotate", views.TokenRotateView.as_view(), name="agents-token-rotate"),
    path("agents/usage-keys", views.UsageKeysView.as_view(), name="agents-usage-keys"),
    path("agents/usage-keys/<str:key_id>", views.UsageKeyDetailView.as_view(), name="agents-usage-key"),
]
