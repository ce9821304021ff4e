from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "motcua.feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # imported once the apps are loaded: the slips and the tokens need the URL configuration and models
        from motcua.dossiers.slips import survey_url_with
        from motcua.feedback.tokens import receipt_survey_url

        survey_url_with(receipt_survey_url)
