from django.contrib.auth import views as auth_views
from django.urls import path

from collabready.web.backoffice import views, views_exports, views_imports, views_reports
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
    path("waves/<int:wave_id>/invitations/", views.invitations_upload, name="invitations_upload"),
    path("waves/<int:wave_id>/send/", views.invitations_send_view, name="invitations_send"),
    path(
        "waves/<int:wave_id>/import/", views_imports.responses_import_view, name="responses_import"
    ),
    path("waves/<int:wave_id>/close/", views.wave_close_view, name="wave_close"),
    path("waves/<int:wave_id>/open-link/", views.wave_open_link_view, name="wave_open_link"),
    path("waves/<int:wave_id>/reports/", views_reports.reports, name="reports"),
    path("waves/<int:wave_id>/margins/", views_reports.margins_upload, name="margins_upload"),
    path("waves/<int:wave_id>/exports/", views_exports.exports, name="exports"),
    path("exports/<int:job_id>/", views_exports.export_job, name="export_job"),
    path("exports/<int:job_id>/download/", views_exports.export_download, name="export_download"),
    path("reports/<int:job_id>/", views_reports.report_job, name="report_job"),
    path("reports/<int:job_id>/download/", views_reports.report_download, name="report_download"),
    path("reports/<int:job_id>/view/", views_reports.report_view, name="report_view"),
]
