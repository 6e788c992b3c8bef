"""Staff ticket routes, included under /api/admin/."""

from django.urls import path

from . import admin_views as views

urlpatterns = [
    path("support/tickets", views.StaffTicketListView.as_view(), name="staff-ticket-list"),
    path("support/tickets/<str:ticket_id>", views.StaffTicketDetailView.as_view(), name="staff-ticket-detail"),
    path("support/tickets/<str:ticket_id>/reply", views.StaffTicketReplyView.as_view(), name="staff-ticket-reply"),
    path("support/tickets/<str:ticket_id>/attachments", views.StaffTicketAttachmentsView.as_view(),
         name="staff-ticket-attachments"),
    path("support/tickets/<str:ticket_id>/bounty", views.StaffTicketBountyView.as_view(), name="staff-ticket-bounty"),
]
