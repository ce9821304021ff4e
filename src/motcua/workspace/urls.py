from django.urls import path

from motcua.workspace.views import (
    actions,
    auth,
    dossier,
    drafts,
    handover,
    payments,
    postal,
    postal_figures,
    queues,
    reception,
)

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
    path("handovers/", handover.handovers, name="handovers"),
    path("handovers/new/", handover.new_handover, name="new_handover"),
    path("handovers/<int:pk>/", handover.handover, name="handover"),
    path("handovers/<int:pk>/scan/", handover.scan, name="handover_scan"),
    path("handovers/<int:pk>/items/", handover.add, name="handover_add"),
    path("handovers/<int:pk>/items/remove/", handover.remove, name="handover_remove"),
    path("handovers/<int:pk>/send/", handover.send, name="handover_send"),
    path("handovers/<int:pk>/close/", handover.close, name="handover_close"),
    path("handovers/<int:pk>/record.pdf", handover.record_pdf, name="handover_pdf"),
    path("buu-dien/nhan-tai-nha/", postal.queue, name="pickups"),
    path("buu-dien/nhan-tai-nha/dat-lich/", postal.book, name="pickup_book"),
    path("buu-dien/nhan-tai-nha/<int:pk>/", postal.pickup, name="pickup"),
    path("buu-dien/nhan-tai-nha/<int:pk>/giao/", postal.assign, name="pickup_assign"),
    path("buu-dien/nhan-tai-nha/<int:pk>/da-nhan/", postal.collect, name="pickup_collect"),
    path("buu-dien/nhan-tai-nha/<int:pk>/khong-nhan-duoc/", postal.fail, name="pickup_fail"),
    path("buu-dien/nhan-tai-nha/<int:pk>/huy/", postal.cancel, name="pickup_cancel"),
    path("buu-dien/so-lieu/", postal_figures.figures, name="postal_figures"),
    path("dossiers/<str:code>/payments/", payments.collect, name="collect_fee"),
]
