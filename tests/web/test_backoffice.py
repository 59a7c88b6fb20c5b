"""Back office: waves, invitation uploads, e-mails."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.surveys.errors import InvitationImportError
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.services.invitations import invitations_import_csv

GOOD = (
    "email,name,organisation,sector,role,team\n"
    "a@example.org,Ann,Council A,public,director,north\n"
    "b@example.org,Ben,Charity B,third,,\n"
)


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    User.objects.create_user("staff", "staff@example.org", "pw-for-tests", is_staff=True)
    assert client.login(username="staff", password="pw-for-tests")
    return client


def test_import_creates_invitations_and_empty_responses(wave: Wave, instrument: Instrument) -> None:
    result = invitations_import_csv(wave=wave, data=GOOD.encode())
    assert result.created == 2
    ann = Invitation.objects.get(email="a@example.org")
    assert ann.details == {"role": "director", "team": "north"}
    assert Response.objects.filter(wave=wave, submitted_at__isnull=True).count() == 2
    assert Response.objects.get(invitation=ann).sector == "public"


def test_bad_rows_are_reported_precisely_and_nothing_is_imported(
    wave: Wave, instrument: Instrument
) -> None:
    data = (
        "Email,Name,Organisation,Sector,role\n"
        "good@example.org,G,Org,public,director\n"
        "not-an-email,X,Org,public,\n"
        "c@example.org,C,,private,\n"
        "d@example.org,D,Org,government,\n"
        "good@example.org,G2,Org,third,\n"
        "e@example.org,E,Org,third,king\n"
    )
    with pytest.raises(InvitationImportError) as caught:
        invitations_import_csv(wave=wave, data=data.encode())
    assert caught.value.problems == [
        "row 3, column email: 'not-an-email' is not an e-mail address",
        "row 4, column organisation: the organisation is empty",
        "row 5, column sector: 'government' is not one of public, private, third "
        "(or their codes or labels)",
        "row 6, column email: good@example.org is also on row 2",
        "row 7, column role: 'king' is not one of chief_executive, director, senior_manager, "
        "other (or their codes or labels)",
    ]
    assert not Invitation.objects.exists()
    assert not Response.objects.exists()


def test_missing_columns_and_bad_encoding(wave: Wave, instrument: Instrument) -> None:
    with pytest.raises(InvitationImportError) as caught:
        invitations_import_csv(wave=wave, data=b"email,name\na@example.org,A\n")
    assert "missing column(s) organisation, sector" in caught.value.problems[0]
    # bytes that are neither UTF-8 nor Windows-1252 (0x81 is undefined in both)
    with pytest.raises(InvitationImportError) as caught:
        invitations_import_csv(wave=wave, data=b"email,name,organisation,sector\n\x81\xe9,A,O,x\n")
    assert "neither UTF-8 nor Windows-1252" in caught.value.problems[0]


def test_already_invited_addresses_are_refused_unless_skipped(
    wave: Wave, instrument: Instrument
) -> None:
    invitations_import_csv(wave=wave, data=GOOD.encode())
    again = GOOD + "c@example.org,Cat,Council C,public,,\n"
    with pytest.raises(InvitationImportError) as caught:
        invitations_import_csv(wave=wave, data=again.encode())
    assert caught.value.problems == [
        "2 row(s) name people already invited to this wave (rows 2, 3): tick 'Skip people "
        "already invited' and upload the file again"
    ]
    assert Invitation.objects.count() == 2
    result = invitations_import_csv(wave=wave, data=again.encode(), skip_existing=True)
    assert (result.created, result.skipped) == (1, 2)
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]


def test_upload_page_lists_problems(staff: Client, wave: Wave, instrument: Instrument) -> None:
    upload = SimpleUploadedFile("list.csv", b"email,name,organisation,sector\nbad,A,O,public\n")
    got = staff.post(f"/backoffice/waves/{wave.pk}/invitations/", {"file": upload})
    assert got.status_code == 400
    assert "row 2, column email: &#x27;bad&#x27; is not an e-mail address" in got.content.decode()


def test_invitations_and_reminders_are_emailed_with_working_links(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    invitations_import_csv(wave=wave, data=GOOD.encode())
    confirm = staff.get(f"/backoffice/waves/{wave.pk}/send/?kind=invitation")
    assert "This will e-mail <strong>2</strong> people" in confirm.content.decode()
    assert not mail.outbox  # the confirmation page sends nothing
    staff.post(f"/backoffice/waves/{wave.pk}/send/", {"kind": "invitation"})
    assert len(mail.outbox) == 2
    assert (
        staff.post(f"/backoffice/waves/{wave.pk}/send/", {"kind": "invitation"}).status_code == 302
    )
    assert len(mail.outbox) == 2  # nobody is invited twice
    link = re.search(r"http://testserver(/r/[^/\s]+/)", mail.outbox[0].body)
    assert link is not None
    respondent = Client()
    assert respondent.get(link.group(1)).url == "/survey/"
    # a reminder only once the wave's interval has passed since the invitation
    Invitation.objects.update(invited_at=timezone.now() - timedelta(days=4))
    staff.post(f"/backoffice/waves/{wave.pk}/send/", {"kind": "reminder"})
    assert len(mail.outbox) == 4
    assert mail.outbox[2].subject.startswith("Reminder:")
    # the first link still works after the reminder
    assert Client().get(link.group(1)).url == "/survey/"


def test_staff_create_and_close_a_wave(staff: Client, instrument: Instrument) -> None:
    got = staff.post(
        "/backoffice/waves/new/",
        {
            "name": "Wave 2027",
            "slug": "wave-2027",
            "instrument_key": instrument.key,
            "opens_on": "2027-01-01",
            "closes_on": "01/03/2027",
            "privacy_notice": "Notice.",
            "open_link_enabled": "on",
        },
    )
    wave = Wave.objects.get(slug="wave-2027")
    assert got.url == f"/backoffice/waves/{wave.pk}/"
    assert wave.open_link_enabled
    assert "Wave 2027" in staff.get("/backoffice/").content.decode()
    assert staff.get(f"/backoffice/waves/{wave.pk}/close/").status_code == 200
    wave.refresh_from_db()
    assert wave.closed_at is None  # the confirmation page changes nothing
    staff.post(f"/backoffice/waves/{wave.pk}/close/")
    wave.refresh_from_db()
    assert wave.closed_at is not None


def test_wave_dates_must_be_in_order(staff: Client, instrument: Instrument) -> None:
    got = staff.post(
        "/backoffice/waves/new/",
        {
            "name": "Backwards",
            "slug": "backwards",
            "instrument_key": instrument.key,
            "opens_on": "01/03/2027",
            "closes_on": "01/01/2027",
            "privacy_notice": "Notice.",
        },
    )
    assert "the wave must close after it opens" in got.content.decode()
    assert not Wave.objects.filter(slug="backwards").exists()


def test_non_staff_users_are_refused(client: Client, db: None) -> None:
    User.objects.create_user("someone", "s@example.org", "pw-for-tests")
    client.login(username="someone", password="pw-for-tests")
    assert client.get("/backoffice/").status_code == 302
