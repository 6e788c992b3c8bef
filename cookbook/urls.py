"""Cookbook routes, included at the site root.

Order matters: `search` and `read/<slug>` come before the catch-all `<slug>` page.
"""

from django.urls import path

from . import views

app_name = "cookbook"

urlpatterns = [
    path("cookbook", views.index, name="index"),
    path("cookbook/", views.index_slash),
    path("cookbook/search", views.search, name="search"),
    path("cookbook/read/<str:slug>", views.read, name="read"),
    path("cookbook/<str:slug>", views.detail, name="detail"),
]
