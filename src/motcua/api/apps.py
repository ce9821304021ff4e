from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "motcua.api"
    label = "motcua_api"
    verbose_name = "API"
