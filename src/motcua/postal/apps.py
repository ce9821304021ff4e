from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostalConfig(AppConfig):
    name = "motcua.postal"
    verbose_name = _("Public postal service")

    def ready(self) -> None:
        from motcua.postal import receivers  # noqa: F401  (connects the postal signal receivers)
