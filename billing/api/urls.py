from django.urls import path

from . import views

urlpatterns = [
    path("agents/balance", views.BalanceView.as_view(), name="agents-balance"),
    path("agents/ledger", views.LedgerView.as_view(), name="agents-ledger"),
    path("agents/topup", views.TopupView.as_view(), name="agents-topup"),
]
