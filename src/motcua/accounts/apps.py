from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "motcua.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # dossiers sits below accounts: it learns who a citizen account's holder is through this callable
        from motcua.accounts.selectors import identity_of  # app registry ready: models may be imported now
        from motcua.dossiers.actors import identify_with

        identify_with(identity_of)
