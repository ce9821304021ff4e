from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostalConfig(AppConfig):
    name = "motcua.postal"
    verbose_name = _("Public postal service")

    def ready(self) -> None:
        from motcua.dossiers import routing  # noqa: I001  (imported when the apps are ready)
        from motcua.postal import receivers, rules  # noqa: F401  (connects the postal signal receivers)

        # the postal phases decide who receives where (``postal.rules``); ``dossiers`` only takes the callables
        routing.check_reception_with(rules.check_reception)
        routing.share_front_with(rules.shared_front_roles)
