"""Pages' live helpers (the streams themselves are ASGI routes: see live/streams.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("ui-traffic/tickets/<str:ref>/presence", views.presence, name="inbox-ticket-presence"),
]
