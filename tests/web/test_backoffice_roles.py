"""The back office asks the same policy as the API: roles, and objects by role."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from collabready.instrument import Instrument
from collabready.web.access.models import StaffRole
from collabready.web.access.policy import (
    Action,
    Kind,
    may,
    principal_for_respondent,
    principal_for_user,
)
from collabready.web.audit.models import AuditEvent
from tests.web.api_support import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(instrument: Instrument) -> World:
    return build_world(instrument)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_researcher_sees_every_wave_but_changes_none(world: World) -> None:
    client = _signed_in(world.users["researcher"])
    home = client.get("/backoffice/")
    assert home.status_code == 200
    text = home.content.decode()
    assert "Wave own-wave" in text
    assert "Wave other-wave" in text
    assert "Create a wave" not in text
    own = world.waves["own"].pk
    detail = client.get(f"/backoffice/waves/{own}/")
    assert detail.status_code == 200
    assert "Close the wave now" not in detail.content.decode()
    assert client.get("/backoffice/waves/new/").status_code == 403
    assert client.post(f"/backoffice/waves/{own}/close/").status_code == 403
    assert client.get(f"/backoffice/waves/{own}/reports/").status_code == 200


def test_convenor_sees_only_their_waves(world: World) -> None:
    client = _signed_in(world.users["convenor"])
    text = client.get("/backoffice/").content.decode()
    assert "Wave own-wave" in text
    assert "Wave other-wave" not in text
    own, other = world.waves["own"].pk, world.waves["other"].pk
    assert client.get(f"/backoffice/waves/{own}/").status_code == 200
    # another's wave answers exactly as a wave that does not exist
    assert client.get(f"/backoffice/waves/{other}/").status_code == 404
    assert client.get("/backoffice/waves/99999/").status_code == 404
    assert client.get(f"/backoffice/reports/{world.reports['other'].pk}/").status_code == 404
    # a report of the live submissions does not exist for a convenor; one made from
    # the wave's release does (tests/web/test_convenor_release.py)
    own_report = world.reports["own"]
    assert client.get(f"/backoffice/reports/{own_report.pk}/").status_code == 404
    own_report.release_cutoff = world.waves["own"].opens_at
    own_report.save(update_fields=["release_cutoff"])
    assert client.get(f"/backoffice/reports/{own_report.pk}/").status_code == 200
    assert client.post(f"/backoffice/waves/{own}/close/").status_code == 403


def test_admin_keeps_everything_and_non_staff_are_sent_to_sign_in(world: World) -> None:
    admin = _signed_in(world.users["admin"])
    assert "Create a wave" in admin.get("/backoffice/").content.decode()
    nobody = _signed_in(world.users["nobody"])
    got = nobody.get("/backoffice/")
    assert got.status_code == 302
    assert got["Location"].startswith("/backoffice/login/")


@pytest.mark.parametrize(
    ("role", "admin_site"), [("admin", True), ("researcher", False), ("convenor", False)]
)
def test_only_those_who_may_use_the_django_admin_see_its_link_or_reach_it(
    world: World, role: str, admin_site: bool
) -> None:
    user = world.users[role]
    assert user.is_staff  # every staff role signs in as a staff user
    client = _signed_in(user)
    page = client.get("/backoffice/").content.decode()
    assert ('href="/admin/"' in page) is admin_site
    assert ("Django admin" in page) is admin_site
    index = client.get("/admin/")
    if admin_site:
        assert index.status_code == 200
        assert "Site administration" in index.content.decode()
    else:  # the admin's sign-in page, as for anyone it does not admit
        assert index.status_code == 302
        assert index["Location"].startswith("/admin/login/")
        listing = client.get("/admin/surveys/invitation/")
        assert listing.status_code == 302
        assert "person@example.org" not in listing.content.decode()
    assert may(principal_for_user(user), Action.ADMIN_SITE_USE) is admin_site


def test_staff_without_a_role_keep_what_staff_could_do(world: World) -> None:
    legacy = User.objects.create_user(username="old-staff", password="x" * 12, is_staff=True)
    assert "Create a wave" in _signed_in(legacy).get("/backoffice/").content.decode()


def test_role_changes_are_audited_by_the_command(world: World) -> None:
    call_command(
        "staff_role", "nobody-user", "convenor", "--wave", "other-wave", stdout=io.StringIO()
    )
    user = world.users["nobody"]
    assert StaffRole.objects.get(user=user).role == "convenor"
    change = AuditEvent.objects.get(action="role.change", object_id=str(user.pk))
    assert change.detail["role"] == "convenor"
    assert change.detail["previous"] is None
    assert AuditEvent.objects.filter(action="role.link", object_id=str(user.pk)).exists()
    text = _signed_in(user).get("/backoffice/").content.decode()
    assert "Wave other-wave" in text
    assert "Wave own-wave" not in text


def test_respondent_reaches_only_their_own_response(world: World) -> None:
    own, other = world.responses["own"], world.responses["other"]
    who = principal_for_respondent(own.pk)
    assert who.kind is Kind.RESPONDENT
    assert may(who, Action.RESPONSE_VIEW, own)
    assert may(who, Action.RESPONSE_ERASE, own)
    assert not may(who, Action.RESPONSE_VIEW, other)
    assert not may(who, Action.WAVE_VIEW, world.waves["own"])
    assert not may(who, Action.AGGREGATES_VIEW, world.waves["own"])


def test_exports_and_imports_pages_ask_the_policy(world: World) -> None:
    """The export and import pages (issue 10) follow the roles: a researcher exports
    but not open answers without the personal-data grant and imports nothing; a
    convenor neither exports nor sees another's wave."""
    own, other = world.waves["own"].pk, world.waves["other"].pk
    researcher = _signed_in(world.users["researcher"])
    assert researcher.get(f"/backoffice/waves/{own}/exports/").status_code == 200
    form = {"format": "csv", "language": "en"}
    assert researcher.post(f"/backoffice/waves/{own}/exports/", form).status_code == 302
    opened = researcher.post(f"/backoffice/waves/{own}/exports/", {**form, "open_answers": "on"})
    assert opened.status_code == 403
    assert researcher.get(f"/backoffice/waves/{own}/import/").status_code == 403
    job = world.exports["own"].pk
    assert researcher.get(f"/backoffice/exports/{job}/").status_code == 200
    convenor = _signed_in(world.users["convenor"])
    assert convenor.get(f"/backoffice/waves/{other}/exports/").status_code == 404
    assert convenor.post(f"/backoffice/waves/{own}/exports/", form).status_code == 403
    assert convenor.get(f"/backoffice/exports/{world.exports['other'].pk}/").status_code == 404
    admin = _signed_in(world.users["admin"])
    assert (
        admin.post(f"/backoffice/waves/{own}/exports/", {**form, "open_answers": "on"}).status_code
        == 302
    )
    assert admin.get(f"/backoffice/waves/{own}/import/").status_code == 200


def test_fieldwork_pages_ask_the_policy(world: World) -> None:
    """The fieldwork pages (issue 12) follow the roles: the invitee list holds e-mail
    addresses and names, so a researcher without the personal-data grant is refused
    it; nobody but admins changes e-mails, quotas or data protection; a convenor's
    view of another's wave is a 404."""
    own, other = world.waves["own"].pk, world.waves["other"].pk
    researcher = _signed_in(world.users["researcher"])
    assert researcher.get(f"/backoffice/waves/{own}/monitoring/").status_code == 200
    for path in ("invitees/", "invitees.csv", "emails/", "quotas/", "privacy/", "edit/"):
        assert researcher.get(f"/backoffice/waves/{own}/{path}").status_code == 403, path
    assert researcher.post(f"/backoffice/waves/{own}/test/").status_code == 403
    from collabready.web.access.services import role_set

    role_set(user=world.users["researcher"], role="researcher", personal_data=True)
    assert researcher.get(f"/backoffice/waves/{own}/invitees/").status_code == 200
    convenor = _signed_in(world.users["convenor"])
    assert convenor.get(f"/backoffice/waves/{own}/monitoring/").status_code == 200
    for path in ("monitoring/", "invitees/", "emails/", "preview/en/profile/"):
        assert convenor.get(f"/backoffice/waves/{other}/{path}").status_code == 404, path
    admin = _signed_in(world.users["admin"])
    for path in ("invitees/", "emails/", "quotas/", "privacy/", "monitoring/"):
        assert admin.get(f"/backoffice/waves/{own}/{path}").status_code == 200, path
