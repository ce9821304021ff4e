from django.urls import path

from motcua.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("thu-tuc/", views.procedure_search, name="search"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("thu-tuc/<str:code>/qr.png", views.procedure_qr, name="procedure_qr"),
    path("co-quan/", views.agency_list, name="agencies"),
    path("co-quan/<str:code>/", views.agency_detail, name="agency"),
    path("co-quan/<str:code>/danh-muc-in/", views.agency_print, name="agency_print"),
    path("tra-cuu/", views.track, name="track"),
    path("healthz", views.healthz, name="healthz"),
]
