"""The public pages of feedback, under ``/danh-gia/`` (URL names ``feedback:…``)."""

from django.urls import path

from motcua.portal.views import feedback as views

app_name = "feedback"

urlpatterns = [
    path("ho-so/<str:code>/", views.rate, name="rate"),
    path("quay/<str:agency_code>/in/", views.counter_sheet, name="counter_sheet"),
    path("quay/<str:agency_code>/<int:counter_number>/", views.counter_survey, name="counter_survey"),
    path("p/<str:token>/", views.receipt_survey, name="receipt_survey"),
    path("phan-anh/", views.petition, name="petition"),
    path("phan-anh/da-gui/", views.petition_sent, name="petition_sent"),
    path("phan-anh/tra-cuu/", views.petition_lookup, name="petition_lookup"),
    path("phan-anh/cong-khai/", views.published, name="published"),
]
