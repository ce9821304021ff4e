from django.urls import path

from motcua.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("receive/", views.receive, name="receive"),
    path("receive/checklist/", views.receive_checklist, name="receive_checklist"),
    path("dossiers/<str:code>/", views.dossier, name="dossier"),
    path("dossiers/<str:code>/actions/<str:action>/", views.act, name="act"),
    path("dossiers/<str:code>/files/<int:pk>/", views.attachment, name="attachment"),
    path("dossiers/<str:code>/slips/<str:kind>.pdf", views.slip, name="slip"),
]
