from django.urls import path

from motcua.workspace.views import actions, auth, dossier, drafts, queues, reception, shipments

app_name = "workspace"

urlpatterns = [
    path("", queues.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("receive/", reception.receive, name="receive"),
    path("receive/checklist/", reception.receive_checklist, name="receive_checklist"),
    path("dossiers/<str:code>/", dossier.dossier, name="dossier"),
    path("dossiers/<str:code>/actions/<str:action>/", actions.act, name="act"),
    path("dossiers/<str:code>/files/<int:pk>/", dossier.attachment, name="attachment"),
    path("dossiers/<str:code>/files/<int:pk>/certify/", actions.certify, name="certify"),
    path("dossiers/<str:code>/draft/", drafts.generate, name="draft_result"),
    path("dossiers/<str:code>/draft/upload/", drafts.upload, name="upload_draft"),
    path("dossiers/<str:code>/slips/<str:kind>.pdf", dossier.slip, name="slip"),
    path("dossiers/<str:code>/send-by-post/", shipments.send, name="send_by_post"),
    path("shipments/", shipments.shipment_list, name="shipments"),
    path("shipments/<int:pk>/retry/", shipments.retry, name="retry_shipment"),
]
