from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "collabready.web.backoffice"
    label = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from collabready.web.backoffice.auth import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="collabready-login-failed")
