from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "collabready.web.reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from collabready.web.reports.recovery import job_follow_task
        from collabready.web.worker.leases import task_requeued

        task_requeued.connect(job_follow_task, dispatch_uid="reports.job_follow_task")
