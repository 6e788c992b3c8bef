from django.urls import path

from . import chat_views

urlpatterns = [
    path("demo/chat", chat_views.ChatView.as_view(), name="demo-chat"),
]
