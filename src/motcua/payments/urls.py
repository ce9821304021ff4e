from django.urls import path

from motcua.payments import views

app_name = "payments"

urlpatterns = [
    path("ket-qua/", views.return_, name="return"),
    path("ipn/", views.ipn, name="ipn"),
    path("bien-lai/<str:number>.pdf", views.receipt, name="receipt"),
    path("sandbox/", views.sandbox, name="sandbox"),
    path("<str:code>/", views.start, name="start"),
]
