"""The staff pages of feedback, under ``/workspace/phan-anh/`` (URL names ``feedback_staff:…``)."""

from django.urls import path

from motcua.workspace.views import petitions as views

app_name = "feedback_staff"

urlpatterns = [
    path("", views.petitions, name="petitions"),
    path("danh-gia/", views.ratings, name="ratings"),
    path("<str:code>/", views.petition, name="petition"),
]
