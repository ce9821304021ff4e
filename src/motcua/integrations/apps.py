from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "motcua.integrations"
    verbose_name = _("Interconnection")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from motcua.dossiers import routing
        from motcua.dossiers.services import register_account_finder  # models load after the app registry
        from motcua.integrations import (
            outbox,
            receivers,  # noqa: F401 - connects the event log to the outbox
        )
        from motcua.integrations.dvcqg import sync  # noqa: F401 - the portal's and the store's hooks and handlers
        from motcua.integrations.peers import SYSTEM, outgoing
        from motcua.integrations.population.services import verified_account

        # a dossier received for a person joins her account if its citizen ID was verified (docs/population.md)
        register_account_finder(verified_account)
        # dossiers sent to and received from other provinces' MotCua (docs/peers.md)
        outbox.register(SYSTEM, outgoing.deliver, batch=20)
        outbox.on_events(outgoing.offer_events)
        routing.route_steps_with(outgoing.route_steps)
