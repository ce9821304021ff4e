"""The postal app's machine-to-machine URLs, under ``/postal/`` (URL names ``postal:…``): the carrier's webhook."""

from django.urls import path

from motcua.postal import webhooks

app_name = "postal"

urlpatterns = [
    path("carrier/webhook", webhooks.carrier_webhook, name="carrier_webhook"),
]
