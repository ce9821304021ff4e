from django.urls import path

from motcua.workspace.views import actions, auth, dossier, drafts, queues, reception, reconciliation, refunds

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
    path("dossiers/<str:code>/refunds/", refunds.panel, name="refunds"),
    path("refunds/<str:number>.pdf", refunds.receipt, name="refund_receipt"),
    path("reconciliation/", reconciliation.page, name="reconciliation"),
    path("reconciliation/export.csv", reconciliation.export, name="reconciliation_export"),
    path("reconciliation/import/", reconciliation.upload, name="statement_upload"),
]
