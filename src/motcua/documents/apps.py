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
        from motcua.dossiers.signals import dossier_changed  # in ready(): the app registry is loaded now

        # Pillow's own decompression-bomb bound, for any image opened anywhere (img2pdf too): ours
        Image.MAX_IMAGE_PIXELS = settings.MOTCUA_MAX_IMAGE_MEGAPIXELS * 1_000_000

        dossier_changed.connect(_keep, dispatch_uid="documents.keep_from_dossier")


def _keep(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    from motcua.documents.services import keep_from_dossier  # its models load after the app registry

    keep_from_dossier(dossier, event)
