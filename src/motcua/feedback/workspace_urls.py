"""Staff pages of the feedback app, under /workspace/phan-anh/."""

from django.urls import path

from motcua.feedback import workspace_views as views

app_name = "feedback_staff"

urlpatterns = [
    path("", views.petitions, name="petitions"),
    path("danh-gia/", views.ratings, name="ratings"),
    path("<str:code>/", views.petition, name="petition"),
]
