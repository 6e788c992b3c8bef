from django.urls import path

from . import views

urlpatterns = [
    path("support/tickets", views.TicketsView.as_view(), name="support-tickets"),
    path("support/tickets/<str:ticket_id>", views.TicketDetailView.as_view(), name="support-ticket"),
    path("support/tickets/<str:ticket_id>/close", views.TicketCloseView.as_view(), name="support-ticket-close"),
    path("support/tickets/<str:ticket_id>/rating", views.TicketRatingView.as_view(), name="support-ticket-rating"),
]
