"""URLs: the respondent pages (in English, and in Welsh under /cy/), the back office, admin
(``admin.site`` is :class:`collabready.web.admin_site.PolicyAdminSite`)."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from collabready.web import views
from collabready.web.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("backoffice/", include("collabready.web.backoffice.urls")),
    path("api/", api.urls),
    path("healthz", views.health, name="health"),
    *i18n_patterns(
        path("", views.home, name="home"),
        path("", include("collabready.web.surveys.urls")),
        path("", include("collabready.web.privacy.urls")),
        prefix_default_language=False,
    ),
]

handler403 = "collabready.web.views.permission_denied"
handler404 = "collabready.web.views.page_not_found"
handler500 = "collabready.web.views.server_error"
