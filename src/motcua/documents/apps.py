from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image


class DocumentsConfig(AppConfig):
    name = "motcua.documents"
    verbose_name = _("Documents and the data warehouse")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from motcua.dossiers.integrity import stored_file_checks  # in ready(): the app registry is loaded now
        from motcua.dossiers.signals import dossier_changed

        # Pillow's own decompression-bomb bound, for any image opened anywhere (img2pdf too): ours
        Image.MAX_IMAGE_PIXELS = settings.MOTCUA_MAX_IMAGE_MEGAPIXELS * 1_000_000

        dossier_changed.connect(_keep, dispatch_uid="documents.keep_from_dossier")
        if _verify_documents not in stored_file_checks:
            stored_file_checks.append(_verify_documents)


def _keep(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    from motcua.documents.services import keep_from_dossier  # its models load after the app registry

    keep_from_dossier(dossier, event)


def _verify_documents(progress: Any) -> Any:
    from motcua.documents.services import verify_documents  # its models load after the app registry

    return verify_documents(progress)
