from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "collabready.web.worker"
    label = "worker"
    verbose_name = "Background workers"
    default_auto_field = "django.db.models.BigAutoField"
