"""The payment pages, under ``/thanh-toan/`` (URL names ``payments:…``), and the gateway's notification."""

from django.urls import path

from motcua.payments import webhooks
from motcua.portal.views import payments as views

app_name = "payments"

urlpatterns = [
    path("ket-qua/", views.return_, name="return"),
    path("ipn/", webhooks.ipn, name="ipn"),
    path("bien-lai/<str:number>.pdf", views.receipt, name="receipt"),
    path("sandbox/", views.sandbox, name="sandbox"),
    path("sandbox/hoan-tien/", webhooks.sandbox_refund, name="sandbox_refund"),
    path("<str:code>/", views.start, name="start"),
]
