from django.urls import path

from . import attachment_views, chat_views, views

urlpatterns = [
    path("demo/chat", chat_views.ChatView.as_view(), name="demo-chat"),
    path("demo/sessions", views.SessionsView.as_view(), name="demo-sessions"),
    path("demo/sessions/<str:session_id>", views.SessionDetailView.as_view(), name="demo-session"),
    path("demo/sessions/<str:session_id>/messages", views.SessionMessagesView.as_view(), name="demo-session-messages"),
    path("demo/sessions/<str:session_id>/attachments", attachment_views.SessionAttachmentsView.as_view(),
         name="demo-session-attachments"),
    path("attachments/<str:attachment_id>", attachment_views.AttachmentDownloadView.as_view(), name="attachment"),
]
