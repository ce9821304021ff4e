from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "motcua.integrations"
    verbose_name = _("Interconnection")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from motcua.dossiers import routing
        from motcua.integrations import (
            outbox,
            receivers,  # noqa: F401 - connects the event log to the outbox
        )
        from motcua.integrations.peers import SYSTEM, outgoing

        outbox.register(SYSTEM, outgoing.deliver, batch=20)
        outbox.on_events(outgoing.offer_events)
        routing.route_steps_with(outgoing.route_steps)
