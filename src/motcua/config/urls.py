from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from motcua.accounts.lockout import AdminLoginForm
from motcua.api.urls import api
from motcua.api.urls import not_found as api_not_found
from motcua.integrations.peers import views as peer_views
from motcua.portal.views import catalog as portal_catalog

admin.site.site_header = _("MotCua administration")
admin.site.site_title = _("MotCua")
admin.site.index_title = _("One-stop shop administration")
admin.site.login_form = AdminLoginForm  # the sign-in lockout's message on the admin's own page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    # citizen and public pages: the portal; staff pages: the workspace (each URL conf names its namespace)
    path("tai-khoan/", include("motcua.portal.accounts_urls")),
    path("thanh-toan/", include("motcua.portal.payments_urls")),
    path("postal/", include("motcua.postal.urls")),  # the carrier's webhook
    path("peers/", include("motcua.integrations.peers.urls")),  # other provinces' MotCua (signed messages)
    path("zalo/", include("motcua.integrations.zalo.urls")),  # the Zalo official account's webhook
    path(".well-known/motcua-peer", peer_views.well_known, name="peer_identity"),
    path("danh-gia/", include("motcua.portal.feedback_urls")),
    path("workspace/phan-anh/", include("motcua.workspace.feedback_urls")),
    path("workspace/", include("motcua.workspace.urls")),
    path("", include("motcua.portal.queue_urls")),  # kiosk, display board, appointments (docs/counters.md)
    # only the catalogue's public forms; dossier files are served by the workspace and the portal, which check access
    path(f"{settings.MEDIA_URL.strip('/')}/forms/<path:name>", portal_catalog.form_file, name="form_file"),
    path("", include("motcua.portal.urls")),
]
# Django's own error pages, in the API's JSON shape under /api/
handler400 = "motcua.portal.errors.bad_request"
handler403 = "motcua.portal.errors.permission_denied"
handler404 = "motcua.portal.errors.page_not_found"
handler500 = "motcua.portal.errors.server_error"
