from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "motcua.stats"
    verbose_name = _("Statistics and supervision")

    def ready(self) -> None:
        from motcua.stats import receivers  # noqa: F401  (keeps the reporting facts up to date after each event)
