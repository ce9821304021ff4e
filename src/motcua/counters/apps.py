from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CountersConfig(AppConfig):
    name = "motcua.counters"
    label = "queueing"  # "counters" would read as agencies.Counter in the admin and in migrations
    verbose_name = _("Queue tickets and appointments")
    default_auto_field = "django.db.models.BigAutoField"
