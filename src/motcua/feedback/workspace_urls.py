"""Staff pages of the feedback app, under /workspace/phan-anh/."""

from django.urls import path  # noqa: F401

app_name = "feedback_staff"

urlpatterns: list = []
