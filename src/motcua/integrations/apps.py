from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "motcua.integrations"
    verbose_name = _("Interconnection")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from motcua.integrations import receivers  # noqa: F401 - connects the event log to the outbox
        from motcua.integrations.dvcqg import sync  # noqa: F401 - the portal's and the store's hooks and handlers
