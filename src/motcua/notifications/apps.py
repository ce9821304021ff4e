from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "motcua.notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # imported once the app registry is ready: the receivers import models
        from motcua.dossiers.integrity import integrity_alert
        from motcua.dossiers.signals import dossier_changed
        from motcua.notifications import receivers

        dossier_changed.connect(receivers.dossier_changed, dispatch_uid="notifications.dossier_changed")
        integrity_alert.connect(receivers.integrity_alert, dispatch_uid="notifications.integrity_alert")
