from django.contrib.auth import views as auth_views
from django.urls import path

from collabready.web.backoffice import (
    views,
    views_emails,
    views_exports,
    views_imports,
    views_invitations,
    views_monitoring,
    views_privacy,
    views_reports,
)
from collabready.web.backoffice.auth import StaffLoginForm

app_name = "backoffice"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="backoffice/login.html", authentication_form=StaffLoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("waves/new/", views.wave_new, name="wave_new"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave_detail"),
    path("waves/<int:wave_id>/edit/", views.wave_edit, name="wave_edit"),
    path(
        "waves/<int:wave_id>/preview/<str:language>/<slug:slug>/",
        views.wave_preview,
        name="wave_preview",
    ),
    path("waves/<int:wave_id>/test/", views.wave_test_start, name="wave_test_start"),
    path("waves/<int:wave_id>/test/delete/", views.wave_test_delete, name="wave_test_delete"),
    path(
        "waves/<int:wave_id>/invitations/",
        views_invitations.invitations_upload,
        name="invitations_upload",
    ),
    path(
        "waves/<int:wave_id>/invitations/template.csv",
        views_invitations.invitations_template,
        name="invitations_template",
    ),
    path("waves/<int:wave_id>/invitees/", views_invitations.invitees, name="invitees"),
    path(
        "waves/<int:wave_id>/invitees.csv",
        views_invitations.invitees_export,
        name="invitees_export",
    ),
    path(
        "waves/<int:wave_id>/send/",
        views_invitations.invitations_send_view,
        name="invitations_send",
    ),
    path("waves/<int:wave_id>/emails/", views_emails.email_settings, name="email_settings"),
    path(
        "waves/<int:wave_id>/emails/<str:kind>/<str:language>/",
        views_emails.email_template,
        name="email_template",
    ),
    path(
        "waves/<int:wave_id>/emails/<str:kind>/<str:language>/test/",
        views_emails.email_test,
        name="email_test",
    ),
    path("waves/<int:wave_id>/monitoring/", views_monitoring.monitoring, name="monitoring"),
    path("waves/<int:wave_id>/quotas/", views_monitoring.quotas, name="quotas"),
    path(
        "waves/<int:wave_id>/import/", views_imports.responses_import_view, name="responses_import"
    ),
    path("waves/<int:wave_id>/close/", views.wave_close_view, name="wave_close"),
    path("waves/<int:wave_id>/reopen/", views.wave_reopen_view, name="wave_reopen"),
    path("waves/<int:wave_id>/open-link/", views.wave_open_link_view, name="wave_open_link"),
    path("waves/<int:wave_id>/reports/", views_reports.reports, name="reports"),
    path("waves/<int:wave_id>/margins/", views_reports.margins_upload, name="margins_upload"),
    path("waves/<int:wave_id>/exports/", views_exports.exports, name="exports"),
    path("waves/<int:wave_id>/privacy/", views_privacy.privacy, name="wave_privacy"),
    path("exports/<int:job_id>/", views_exports.export_job, name="export_job"),
    path("exports/<int:job_id>/download/", views_exports.export_download, name="export_download"),
    path("reports/<int:job_id>/", views_reports.report_job, name="report_job"),
    path("reports/<int:job_id>/download/", views_reports.report_download, name="report_download"),
    path("reports/<int:job_id>/view/", views_reports.report_view, name="report_view"),
]
