"""Invitation lists as teams really have them: .xlsx, semicolons, Windows-1252, labels and
codes, typos in column names, huge cells; the template, prefilled profiles and the invitee list."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from collabready.analysis import codec as codes
from collabready.instrument import Instrument
from collabready.web.audit.models import AuditEvent
from collabready.web.surveys.errors import InvitationImportError
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.services.invitations import invitations_import_csv


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    User.objects.create_user("staff", "staff@example.org", "pw-for-tests", is_staff=True)
    assert client.login(username="staff", password="pw-for-tests")
    return client


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_is_read(wave: Wave, instrument: Instrument) -> None:
    public = instrument.profile_question("sector").choice_by_value("public").label.get("en")
    data = _xlsx(
        [
            ["Email", "Name", "Organisation", "Sector", "Size"],
            ["a@example.org", "Ann", "Council A", public, 2],
            ["b@example.org", "Ben", "Charity B", "third", None],
        ]
    )
    result = invitations_import_csv(wave=wave, data=data, filename="list.xlsx")
    assert result.created == 2
    assert result.described == ".xlsx workbook (sheet 'Sheet')"
    ann = Invitation.objects.get(email="a@example.org")
    size = instrument.profile_question("size").choice_by_code(2).value
    assert (ann.sector, ann.details) == ("public", {"size": size})


def test_semicolons_and_windows_1252_are_detected_and_named(
    wave: Wave, instrument: Instrument
) -> None:
    text = "email;name;organisation;sector\nzoe@example.org;Zoë Brontë;Café Ltd;private\n"
    result = invitations_import_csv(wave=wave, data=text.encode("cp1252"))
    assert result.described == "CSV, semicolon-separated, Windows-1252"
    zoe = Invitation.objects.get()
    assert (zoe.name, zoe.organisation, zoe.sector) == ("Zoë Brontë", "Café Ltd", "private")


def test_profile_values_as_labels_codes_or_keys_in_any_case(
    wave: Wave, instrument: Instrument
) -> None:
    sector = instrument.profile_question("sector")
    public = sector.choice_by_value("public")
    label = public.label.get("en")
    data = (
        "email,name,organisation,sector,role\n"
        f"a@example.org,A,O1,{label.upper()},Director\n"
        f"b@example.org,B,O2,{public.code},director\n"
        "c@example.org,C,O3,  PUBLIC ,DIRECTOR\n"
    )
    invitations_import_csv(wave=wave, data=data.encode())
    assert set(Invitation.objects.values_list("sector", flat=True)) == {"public"}
    assert {i.details["role"] for i in Invitation.objects.all()} == {"director"}


def test_a_typo_in_a_column_name_is_named_and_other_columns_are_kept(
    wave: Wave, instrument: Instrument
) -> None:
    with pytest.raises(InvitationImportError) as caught:
        invitations_import_csv(
            wave=wave, data=b"email,name,organisation,sector,sise\na@example.org,A,O,public,1\n"
        )
    assert caught.value.problems == [
        "row 1 (header): unknown column 'sise'; did you mean 'size'? Known columns: email, "
        "name, organisation, sector, subsector, role, size, region, language"
    ]
    result = invitations_import_csv(
        wave=wave, data=b"email,name,organisation,sector,team\na@example.org,A,O,public,north\n"
    )
    assert result.extra_columns == ("team",)
    assert Invitation.objects.get().details == {"team": "north"}


def test_a_cell_longer_than_the_csv_limit_gets_the_forms_own_error(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    huge = "x" * 131_073
    data = f"email,name,organisation,sector\na@example.org,{huge},O,public\n".encode()
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/invitations/",
        {"file": SimpleUploadedFile("list.csv", data)},
    )
    assert got.status_code == 400
    assert "row 2: the file cannot be read as CSV" in got.content.decode()
    # and one longer than the import allows, but within the csv limit
    data = f"email,name,organisation,sector\na@example.org,A,{'y' * 20_000},public\n".encode()
    with pytest.raises(InvitationImportError) as caught:
        invitations_import_csv(wave=wave, data=data)
    assert caught.value.problems == ["row 2, column organisation: longer than 10,000 characters"]
    assert not Invitation.objects.exists()


def test_the_upload_page_lists_accepted_values_and_offers_a_template(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    page = staff.get(f"/backoffice/waves/{wave.pk}/invitations/").content.decode()
    for choice in instrument.profile_question("sector").choices:
        assert f'<td class="govuk-table__cell">{choice.value}</td>' in page
    template = staff.get(f"/backoffice/waves/{wave.pk}/invitations/template.csv")
    assert template["Content-Disposition"] == 'attachment; filename="invitations-test-wave.csv"'
    rows = list(csv.reader(io.StringIO(template.content.decode())))
    assert rows[0] == ["email", "name", "organisation", "sector", "role", "size", "language"]
    # the template's example row imports as it is
    assert invitations_import_csv(wave=wave, data=template.content).created == 1


def test_reuploading_offers_to_skip_those_already_invited(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    first = b"email,name,organisation,sector\na@example.org,A,O,public\n"
    invitations_import_csv(wave=wave, data=first)
    again = first + b"b@example.org,B,O,third\n"
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/invitations/",
        {"file": SimpleUploadedFile("list.csv", again)},
    )
    assert got.status_code == 400
    assert "Skip the 1 people already invited" in got.content.decode()
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/invitations/",
        {"file": SimpleUploadedFile("list.csv", again), "skip_existing": "on"},
        follow=True,
    )
    assert "Imported 1 invitations" in got.content.decode()
    assert "Skipped 1 already invited" in got.content.decode()
    assert Invitation.objects.count() == 2


def test_the_invitation_prefills_the_profile_which_the_respondent_can_correct(
    wave: Wave, instrument: Instrument
) -> None:
    size = instrument.profile_question("size").choices[1]
    invitations_import_csv(
        wave=wave,
        data=f"email,name,organisation,sector,size\na@example.org,A,O,third,{size.value}\n".encode(),
    )
    response = Response.objects.get()
    profile = codes.profile_decode(bytes(response.profile), instrument)
    third = instrument.profile_question("sector").choice_by_value("third").code
    assert profile == {"sector": third, "size": size.code}
    assert "role" not in profile  # not given: left for the respondent


def test_the_invitee_list_shows_statuses_filters_and_exports(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    invitations_import_csv(
        wave=wave,
        data=(
            b"email,name,organisation,sector\n"
            b"new@example.org,N,O,public\ninv@example.org,I,O,public\n"
            b"go@example.org,G,O,public\ndone@example.org,D,O,public\n"
            b"out@example.org,X,O,public\nbad@example.org,B,O,public\n"
        ),
    )
    now = timezone.now()
    Invitation.objects.exclude(email="new@example.org").update(invited_at=now)
    Invitation.objects.filter(email="out@example.org").update(opted_out_at=now)
    Invitation.objects.filter(email="bad@example.org").update(
        undeliverable_at=now, undeliverable_reason="550 no such mailbox"
    )
    Response.objects.filter(invitation__email="go@example.org").update(version=2, last_page="b1")
    Response.objects.filter(invitation__email="done@example.org").update(
        version=9, submitted_at=now
    )
    page = staff.get(f"/backoffice/waves/{wave.pk}/invitees/").content.decode()
    assert "Started (reached b1)" in page
    assert "Undeliverable: 550 no such mailbox" in page
    for label, n in (
        ("Not sent", 1),
        ("Invited", 1),
        ("Started", 1),
        ("Submitted", 1),
        ("Opted out", 1),
        ("Undeliverable", 1),
        ("Reminded", 0),
    ):
        assert f"{label} ({n})" in page
    started = staff.get(f"/backoffice/waves/{wave.pk}/invitees/?status=started").content.decode()
    assert "go@example.org" in started
    assert "done@example.org" not in started
    export = staff.get(f"/backoffice/waves/{wave.pk}/invitees.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {r["email"]: r["status"] for r in rows} == {
        "new@example.org": "not_sent",
        "inv@example.org": "invited",
        "go@example.org": "started",
        "done@example.org": "submitted",
        "out@example.org": "opted_out",
        "bad@example.org": "undeliverable",
    }
    assert AuditEvent.objects.filter(action="invitees.export").count() == 1
    assert AuditEvent.objects.filter(action="invitees.view").count() == 2
