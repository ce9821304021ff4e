"""The citizen account's pages, under ``/tai-khoan/`` (URL names ``accounts:…``)."""

from django.urls import path

from motcua.accounts import oidc
from motcua.portal.views import accounts as views
from motcua.portal.views import signin_code
from motcua.portal.views import zalo as zalo_views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("dang-nhap/", views.login, name="login"),
    path("dang-nhap-bang-ma/", signin_code.login_code, name="login_code"),
    path("dang-ky/", views.signup, name="signup"),
    path("xac-minh/", views.verify, name="verify"),
    path("dang-xuat/", views.logout, name="logout"),
    path("zalo/", zalo_views.zalo_status, name="zalo_status"),
    # OpenID Connect (mozilla-django-oidc's views); both answer 404 while OIDC_RP_CLIENT_ID is unset
    path("oidc/authenticate/", oidc.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
]
