from django.urls import path

from motcua.portal import citizen, views

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
    path("nop-ho-so/<str:code>/", citizen.start, name="wizard_start"),
    path("nop-ho-so/ho-so-nhap/<uuid:draft_id>/lam-lai/", citizen.restart, name="wizard_restart"),
    path("nop-ho-so/ho-so-nhap/<uuid:draft_id>/tep/<int:order>/", citizen.draft_file, name="draft_file"),
    path("nop-ho-so/ho-so-nhap/<uuid:draft_id>/<str:step>/", citizen.wizard, name="wizard"),
    path("ho-so-cua-toi/", citizen.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", citizen.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", citizen.supplement, name="my_supplement"),
    path("ho-so-cua-toi/<str:code>/rut/", citizen.withdraw, name="my_withdraw"),
    path("ho-so-cua-toi/<str:code>/tep/<int:pk>/", citizen.my_file, name="my_file"),
    path("ho-so-cua-toi/<str:code>/phieu/<str:kind>.pdf", citizen.my_slip, name="my_slip"),
    path("kho-du-lieu/", citizen.warehouse_page, name="warehouse"),
    path("kho-du-lieu/<int:pk>/", citizen.warehouse_file, name="warehouse_file"),
    path("kho-du-lieu/tai-ve.zip", citizen.warehouse_archive, name="warehouse_archive"),
]
