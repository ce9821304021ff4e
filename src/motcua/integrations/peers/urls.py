"""The peers' machine-to-machine URL under ``/peers/`` (URL names ``peers:…``)."""

from django.urls import path

from motcua.integrations.peers import views

app_name = "peers"

urlpatterns = [
    path("inbox", views.inbox, name="inbox"),
]
