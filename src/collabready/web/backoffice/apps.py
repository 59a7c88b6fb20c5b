from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "collabready.web.backoffice"
    label = "backoffice"
    verbose_name = "Back office"
