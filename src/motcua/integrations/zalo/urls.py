"""The Zalo official account's webhook under ``/zalo/`` (URL names ``zalo:…``)."""

from django.urls import path

from motcua.integrations.zalo import views

app_name = "zalo"

urlpatterns = [
    path("webhook", views.webhook, name="webhook"),
]
