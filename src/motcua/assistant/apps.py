"""The virtual assistant: questions in everyday Vietnamese answered from the catalogue (docs/assistant.md)."""
from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "motcua.assistant"
    verbose_name = _("Virtual assistant")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # a catalogue change saved in this process is seen at once; other processes see it within
        # MOTCUA_ASSISTANT_INDEX_CHECK_SECONDS (assistant.index.current)
        from motcua.assistant import index  # noqa: PLC0415 - the models are loaded only once the apps are ready
        from motcua.catalog.models import ProcedureVersion, Synonym  # noqa: PLC0415 - same

        for model in (ProcedureVersion, Synonym):
            post_save.connect(index.forget, sender=model, dispatch_uid=f"assistant-index-{model.__name__}")
            post_delete.connect(index.forget, sender=model, dispatch_uid=f"assistant-delete-{model.__name__}")
