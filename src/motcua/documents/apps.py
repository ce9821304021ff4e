from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "motcua.documents"
    verbose_name = _("Documents and the data warehouse")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from motcua.dossiers.signals import dossier_changed

        dossier_changed.connect(_keep, dispatch_uid="documents.keep_from_dossier")


def _keep(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    from motcua.documents.services import keep_from_dossier

    keep_from_dossier(dossier, event)
