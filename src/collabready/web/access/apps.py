from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "collabready.web.access"
    label = "access"
    verbose_name = "Roles and API tokens"
    default_auto_field = "django.db.models.BigAutoField"
