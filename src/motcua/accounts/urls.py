from django.urls import path

from motcua.accounts import views

app_name = "accounts"

urlpatterns = [
    path("dang-nhap/", views.login, name="login"),
    path("dang-ky/", views.signup, name="signup"),
    path("xac-minh/", views.verify, name="verify"),
    path("dang-xuat/", views.logout, name="logout"),
]
