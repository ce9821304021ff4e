from django.urls import path

from motcua.portal.views import assistant, assisted, catalog, figures, mine, verify, wizard

app_name = "portal"

urlpatterns = [
    path("", catalog.home, name="home"),
    path("thu-tuc/", catalog.procedure_search, name="search"),
    path("thu-tuc-khong-phu-thuoc-dia-gioi/", catalog.boundary_free, name="boundary_free"),
    path("thu-tuc/<str:code>/", catalog.procedure_detail, name="procedure"),
    path("thu-tuc/<str:code>/qr.png", catalog.procedure_qr, name="procedure_qr"),
    path("co-quan/", catalog.agency_list, name="agencies"),
    path("co-quan/<str:code>/", catalog.agency_detail, name="agency"),
    path("co-quan/<str:code>/danh-muc-in/", catalog.agency_print, name="agency_print"),
    path("co-quan/<str:code>/tro-ly-qr/", assistant.agency_assistant_qr, name="agency_assistant_qr"),
    path("co-quan/<str:code>/tro-ly-qr.png", assistant.agency_assistant_qr_png, name="agency_assistant_qr_png"),
    path("tro-ly/", assistant.assistant, name="assistant"),
    path("tra-cuu/", catalog.track, name="track"),
    path("so-lieu/", figures.figures, name="figures"),
    path("xac-thuc/", verify.verify, name="verify"),
    path("xac-thuc/<str:code>/", verify.verify_code, name="verify_code"),
    path("healthz", catalog.healthz, name="healthz"),
    path("nop-ho/<int:consent_id>/bat-dau/", assisted.start, name="assisted_start"),
    path("nop-ho-so/<str:code>/", wizard.start, name="wizard_start"),
    path("nop-ho-so/ho-so-nhap/<uuid:draft_id>/lam-lai/", wizard.restart, name="wizard_restart"),
    path("nop-ho-so/ho-so-nhap/<uuid:draft_id>/tep/<int:order>/", wizard.draft_file, name="draft_file"),
    path("nop-ho-so/ho-so-nhap/<uuid:draft_id>/<str:step>/", wizard.wizard, name="wizard"),
    path("ho-so-cua-toi/", mine.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", mine.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", mine.supplement, name="my_supplement"),
    path("ho-so-cua-toi/<str:code>/rut/", mine.withdraw, name="my_withdraw"),
    path("ho-so-cua-toi/<str:code>/nhan-tai-nha/", mine.rebook, name="my_rebook"),
    path("ho-so-cua-toi/<str:code>/nhan-tai-nha/huy/", mine.cancel_pickup, name="my_cancel_pickup"),
    path("ho-so-cua-toi/<str:code>/tep/<int:pk>/", mine.my_file, name="my_file"),
    path("ho-so-cua-toi/<str:code>/phieu/<str:kind>.pdf", mine.my_slip, name="my_slip"),
    path("kho-du-lieu/", mine.warehouse_page, name="warehouse"),
    path("kho-du-lieu/<int:pk>/", mine.warehouse_file, name="warehouse_file"),
    path("kho-du-lieu/tai-ve.zip", mine.warehouse_archive, name="warehouse_archive"),
]
