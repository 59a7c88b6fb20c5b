"""The Django admin, for the principals the policy lets use it (admins only).

Django lets any active ``is_staff`` user into the admin; here the one policy
(:mod:`collabready.web.access.policy`, ``Action.ADMIN_SITE_USE``) decides too, so
researchers and convenors, who are staff users to sign in to the back office,
neither see the admin's link nor reach its pages (the admin shows its sign-in
page, saying they are not authorised). It lists invitations' e-mail addresses and
every response, which only admins may read in full.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


def may_use_admin(request: HttpRequest) -> bool:
    """Whether the signed-in user may use the Django admin (the policy's answer)."""
    from collabready.web.access.policy import Action, may
    from collabready.web.backoffice.permissions import principal_of

    return may(principal_of(request), Action.ADMIN_SITE_USE)


class PolicyAdminSite(AdminSite):
    site_header = "Collaboration Readiness Index administration"
    site_title = "Collaboration Readiness Index"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and may_use_admin(request)


class PolicyAdminConfig(AdminConfig):
    default_site = "collabready.web.admin_site.PolicyAdminSite"
