from django.urls import path

from . import views

urlpatterns = [
    path("demo", views.demo, name="demo"),
    path("connect", views.connect, name="connect"),
]
