from django.urls import path

from . import views

urlpatterns = [
    path("demo/sessions", views.SessionsView.as_view(), name="demo-sessions"),
    path("demo/sessions/<str:session_id>", views.SessionDetailView.as_view(), name="demo-session"),
    path("demo/sessions/<str:session_id>/messages", views.SessionMessagesView.as_view(), name="demo-session-messages"),
]
