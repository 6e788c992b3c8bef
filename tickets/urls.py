"""The /ui-traffic Support Inbox pages (included at the site root)."""

from django.urls import path

from . import attachment_views, live_views, views, views_saved

urlpatterns = [
    path("ui-traffic", views.inbox, name="inbox"),
    path("ui-traffic/login", views.sign_in, name="inbox-login"),
    path("ui-traffic/logout", views.sign_out, name="inbox-logout"),
    path("ui-traffic/tickets/<str:ref>", views.ticket_detail, name="inbox-ticket"),
    path("ui-traffic/tickets/<str:ref>/reply", views.ticket_reply, name="inbox-ticket-reply"),
    path("ui-traffic/tickets/<str:ref>/update", views.ticket_update, name="inbox-ticket-update"),
    path("ui-traffic/tickets/<str:ref>/bounty", views.ticket_bounty, name="inbox-ticket-bounty"),
    path("ui-traffic/tickets/<str:ref>/presence", live_views.presence, name="inbox-ticket-presence"),
    path("ui-traffic/attachments/<str:attachment_id>", attachment_views.attachment_download, name="inbox-attachment"),
    path("ui-traffic/attachments/<str:attachment_id>/preview", attachment_views.attachment_preview,
         name="inbox-attachment-preview"),
    # Saved replies (all operators) and saved views (each operator's own).
    path("ui-traffic/replies", views_saved.saved_replies, name="inbox-replies"),
    path("ui-traffic/replies/<int:reply_id>", views_saved.saved_reply_edit, name="inbox-reply-edit"),
    path("ui-traffic/replies/<int:reply_id>/delete", views_saved.saved_reply_delete, name="inbox-reply-delete"),
    path("ui-traffic/tickets/<str:ref>/saved-replies/<int:reply_id>", views_saved.saved_reply_for_ticket,
         name="inbox-ticket-saved-reply"),
    path("ui-traffic/views", views_saved.saved_view_create, name="inbox-views"),
    path("ui-traffic/views/<int:view_id>/delete", views_saved.saved_view_delete, name="inbox-view-delete"),
]
