"""E-mails that are safe to send: templates (en/cy), public links, header safety, reminders,
refusals, and a real SMTP server (aiosmtpd) that refuses one recipient."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.audit.models import AuditEvent
from collabready.web.reports.backend import wait_for_tasks
from collabready.web.surveys.errors import EmailServerError, WaveClosedError
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.services.emails import (
    EmailTemplateError,
    email_template_save,
    opt_out_link,
)
from collabready.web.surveys.services.invitations import invitations_import_csv, invitations_send
from collabready.web.surveys.services.reminders import reminders_enqueue_due
from tests.web.conftest import answer_everything

LIST = (
    "email,name,organisation,sector,language\n"
    "ann@example.org,Ann,Council A,public,en\n"
    "bryn@example.org,Bryn,Cyngor B,public,cy\n"
)


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    User.objects.create_user("staff", "staff@example.org", "pw-for-tests", is_staff=True)
    assert client.login(username="staff", password="pw-for-tests")
    return client


@pytest.fixture
def listed(wave: Wave, instrument: Instrument) -> Wave:
    invitations_import_csv(wave=wave, data=LIST.encode())
    return wave


def _by_address(address: str) -> Any:
    return next(m for m in mail.outbox if m.to == [address])


# --- links and headers -------------------------------------------------------------


@override_settings(COLLABREADY_PUBLIC_URL="https://survey.example.org")
def test_links_come_from_the_public_url_never_the_host_header(staff: Client, listed: Wave) -> None:
    staff.post(
        f"/backoffice/waves/{listed.pk}/send/", {"kind": "invitation"}, HTTP_HOST="evil.example"
    )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "evil.example" not in message.body
        assert re.search(r"https://survey\.example\.org(/cy)?/r/[\w-]+/", message.body)
        assert re.search(r"https://survey\.example\.org(/cy)?/o/", message.body)


def test_a_wave_name_with_line_breaks_cannot_break_or_inject_headers(
    staff: Client, listed: Wave
) -> None:
    Wave.objects.filter(pk=listed.pk).update(name="Wave 2026\r\nBcc: thief@example.net")
    got = staff.post(f"/backoffice/waves/{listed.pk}/send/", {"kind": "invitation"})
    assert got.status_code == 302
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject == "Wave 2026 Bcc: thief@example.net"
        assert "thief@example.net" not in message.recipients()
        headers = message.message().as_string().split("\n\n", 1)[0]
        assert "\nBcc:" not in headers
    assert AccessToken.objects.count() == 2  # one per e-mail that went


# --- templates in both languages ----------------------------------------------------


def test_each_invitee_gets_the_default_wording_in_their_language(listed: Wave) -> None:
    invitations_send(wave=listed)
    english, welsh = _by_address("ann@example.org"), _by_address("bryn@example.org")
    assert english.body.startswith("Dear Ann,\n\nYou are invited to take part in Test wave 2026")
    assert welsh.body.startswith("Annwyl Bryn,\n\nFe'ch gwahoddir i gymryd rhan yn Test wave 2026")
    assert "I beidio â chael e-byst" in welsh.body


def test_the_emails_name_the_survey_by_its_public_title_in_the_invitees_language(
    listed: Wave,
) -> None:
    Wave.objects.filter(pk=listed.pk).update(
        public_title="Collaboration in Wales 2026", public_title_cy="Cydweithio yng Nghymru 2026"
    )
    listed.refresh_from_db()
    invitations_send(wave=listed)
    english, welsh = _by_address("ann@example.org"), _by_address("bryn@example.org")
    assert "take part in Collaboration in Wales 2026" in english.body
    assert "gymryd rhan yn Cydweithio yng Nghymru 2026" in welsh.body
    for message in (english, welsh):  # the internal name stays inside the team
        assert "Test wave 2026" not in message.body + message.subject


def test_a_waves_own_templates_sender_reply_to_and_contact_are_used(listed: Wave) -> None:
    Wave.objects.filter(pk=listed.pk).update(
        sender_name="CRI\r\nTeam", reply_to="team@example.org", contact="help@example.org"
    )
    email_template_save(
        wave=listed,
        kind="invitation",
        language="cy",
        subject="Gwahoddiad: $wave",
        body="Helo $name o $organisation.\n$link\nCysylltu: $contact\nStopio: $optout\n",
    )
    listed.refresh_from_db()
    invitations_send(wave=listed)
    welsh, english = _by_address("bryn@example.org"), _by_address("ann@example.org")
    assert welsh.subject == "Gwahoddiad: Test wave 2026"
    assert welsh.body.startswith("Helo Bryn o Cyngor B.\nhttp://testserver/cy/r/")
    assert "Cysylltu: help@example.org" in welsh.body
    assert english.subject == "Test wave 2026"  # the English default is unchanged
    for message in (welsh, english):
        assert message.from_email == "CRI Team <collabready@localhost>"
        assert message.reply_to == ["team@example.org"]
        assert message.extra_headers["List-Unsubscribe"].startswith(
            "<http://testserver/cy/o/" if message is welsh else "<http://testserver/o/"
        )


def test_a_template_with_unknown_or_missing_placeholders_is_refused(wave: Wave) -> None:
    with pytest.raises(EmailTemplateError) as caught:
        email_template_save(
            wave=wave, kind="reminder", language="en", subject="$wvae", body="Hi $nmae, 5$"
        )
    assert caught.value.problems == [
        "subject: unknown placeholder(s) $wvae; use $name, $organisation, $wave, $closes, "
        "$link, $optout, $contact",
        "body: a '$' at character 12 names nothing; write $$ for a dollar sign",
        "body: must contain $link (the invitee's personal link (required))",
        "body: must contain $optout (the link to stop these e-mails (required))",
    ]
    assert not wave.email_templates.exists()


def test_staff_preview_and_send_a_test_to_themselves(staff: Client, wave: Wave) -> None:
    page = staff.get(f"/backoffice/waves/{wave.pk}/emails/reminder/cy/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nodyn atgoffa: Test wave 2026" in text
    assert "Annwyl Alex Example" in text
    staff.post(f"/backoffice/waves/{wave.pk}/emails/reminder/cy/test/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["staff@example.org"]
    assert mail.outbox[0].subject == "[TEST] Nodyn atgoffa: Test wave 2026"
    assert not AccessToken.objects.exists()  # a test e-mail opens nothing
    assert AuditEvent.objects.filter(action="email.test").count() == 1


@override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
def test_the_back_office_says_when_email_only_goes_to_the_console(
    staff: Client, listed: Wave
) -> None:
    for url in (
        f"/backoffice/waves/{listed.pk}/",
        f"/backoffice/waves/{listed.pk}/send/?kind=invitation",
        f"/backoffice/waves/{listed.pk}/emails/",
    ):
        assert "nobody will receive them" in staff.get(url).content.decode() or (
            "nobody receives them" in staff.get(url).content.decode()
        ), url


def test_without_the_console_backend_there_is_no_console_warning(
    staff: Client, listed: Wave
) -> None:
    assert "console" not in staff.get(f"/backoffice/waves/{listed.pk}/").content.decode()


# --- reminders ------------------------------------------------------------------------


def test_reminders_skip_submitted_and_opted_out_and_are_not_sent_twice(
    staff: Client, listed: Wave, instrument: Instrument
) -> None:
    invitations_import_csv(
        wave=listed,
        data=b"email,name,organisation,sector\ncai@example.org,Cai,Org C,third\n",
    )
    invitations_send(wave=listed)
    Invitation.objects.update(invited_at=timezone.now() - timedelta(days=5))
    # Ann submits; Cai opts out through the link in his e-mail
    token = re.search(r"/r/([\w-]+)/", _by_address("ann@example.org").body)
    assert token is not None
    respondent = Client()
    respondent.get(f"/r/{token.group(1)}/")
    answer_everything(respondent, instrument)
    respondent.post("/survey/check-your-answers/")
    cai = Invitation.objects.get(email="cai@example.org")
    optout = opt_out_link(cai).removeprefix("http://testserver")
    assert "Stop the emails" in Client().get(optout).content.decode()
    cai.refresh_from_db()
    assert cai.opted_out_at is None  # a GET (a mail scanner) changes nothing
    Client().post(optout)
    cai.refresh_from_db()
    assert cai.opted_out_at is not None
    mail.outbox.clear()

    confirm = staff.get(f"/backoffice/waves/{listed.pk}/send/?kind=reminder")
    assert "This will e-mail <strong>1</strong> people" in confirm.content.decode()
    staff.post(f"/backoffice/waves/{listed.pk}/send/", {"kind": "reminder"})
    staff.post(f"/backoffice/waves/{listed.pk}/send/", {"kind": "reminder"})  # pressed twice
    assert [m.to for m in mail.outbox] == [["bryn@example.org"]]
    assert mail.outbox[0].subject == "Nodyn atgoffa: Test wave 2026"
    bryn = Invitation.objects.get(email="bryn@example.org")
    assert bryn.reminders_sent == 1
    # after the interval (3 days by default) a reminder may go again
    Invitation.objects.filter(pk=bryn.pk).update(reminded_at=timezone.now() - timedelta(days=4))
    assert invitations_send(wave=listed, reminder=True).sent == 1


@pytest.mark.django_db(transaction=True)
def test_scheduled_reminders_run_on_the_worker_when_due(listed: Wave) -> None:
    """The worker thread runs the task (so the test commits its rows)."""
    Wave.objects.filter(pk=listed.pk).update(reminder_days=[7, 14])
    invitations_send(wave=listed)
    mail.outbox.clear()
    ann = Invitation.objects.get(email="ann@example.org")
    bryn = Invitation.objects.get(email="bryn@example.org")
    Invitation.objects.filter(pk=ann.pk).update(invited_at=timezone.now() - timedelta(days=8))
    Invitation.objects.filter(pk=bryn.pk).update(invited_at=timezone.now() - timedelta(days=6))

    def run() -> list[str]:
        mail.outbox.clear()
        assert reminders_enqueue_due() == [listed.pk]
        wait_for_tasks(timeout=60)
        return sorted(m.to[0] for m in mail.outbox)

    assert run() == ["ann@example.org"]  # 8 days: the first reminder is due; 6: not yet
    assert run() == []  # run again at once: nothing more
    # 15 days after the invitation and 8 after the first reminder: the second is due
    Invitation.objects.filter(pk=ann.pk).update(
        invited_at=timezone.now() - timedelta(days=15),
        reminded_at=timezone.now() - timedelta(days=8),
    )
    assert run() == ["ann@example.org"]
    ann.refresh_from_db()
    assert ann.reminders_sent == 2
    assert run() == []  # both scheduled reminders sent


def test_sending_to_a_closed_wave_is_refused(staff: Client, listed: Wave) -> None:
    Wave.objects.filter(pk=listed.pk).update(closed_at=timezone.now())
    with pytest.raises(WaveClosedError):
        invitations_send(wave=listed)
    got = staff.post(f"/backoffice/waves/{listed.pk}/send/", {"kind": "invitation"}, follow=True)
    assert "Not sent: Test wave 2026 is closed" in got.content.decode()
    assert not mail.outbox
    assert not AccessToken.objects.exists()
    assert not Invitation.objects.filter(invited_at__isnull=False).exists()


# --- a real SMTP server ----------------------------------------------------------------


class _Refusing:
    """An aiosmtpd handler that refuses one address and keeps the rest."""

    def __init__(self) -> None:
        self.delivered: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("bounce@"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Refusing]]:
    from aiosmtpd.controller import Controller

    handler = _Refusing()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _smtp(port: int) -> Any:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=10,
    )


def test_a_refused_address_is_marked_undeliverable_and_the_batch_goes_on(
    listed: Wave, instrument: Instrument, smtp_server: tuple[int, _Refusing]
) -> None:
    port, handler = smtp_server
    invitations_import_csv(
        wave=listed,
        data=b"email,name,organisation,sector\nbounce@example.org,B,Org,public\n"
        b"zoe@example.org,Zoe,Org Z,third\n",
    )
    with _smtp(port):
        result = invitations_send(wave=listed)
    assert result.sent == 3
    assert sorted(to[0] for to, _ in handler.delivered) == [
        "ann@example.org",
        "bryn@example.org",
        "zoe@example.org",
    ]
    bounced = Invitation.objects.get(email="bounce@example.org")
    assert bounced.undeliverable_at is not None
    assert bounced.invited_at is None
    assert "550" in bounced.undeliverable_reason
    # the failed e-mail left no token behind; each delivered one has exactly one
    assert not AccessToken.objects.filter(response__invitation=bounced).exists()
    for email in ("ann@example.org", "bryn@example.org", "zoe@example.org"):
        assert AccessToken.objects.filter(response__invitation__email=email).count() == 1
    # nor is the bounced address e-mailed again
    with _smtp(port):
        assert invitations_send(wave=listed).sent == 0


def test_an_unreachable_mail_server_sends_nothing_and_records_nothing(
    staff: Client, listed: Wave
) -> None:
    closed_port = _free_port()  # nothing listens there
    with _smtp(closed_port), pytest.raises(EmailServerError) as caught:
        invitations_send(wave=listed)
    assert f"the mail server 127.0.0.1:{closed_port} could not be used" in str(caught.value)
    with _smtp(closed_port):
        got = staff.post(
            f"/backoffice/waves/{listed.pk}/send/", {"kind": "invitation"}, follow=True
        )
    assert got.status_code == 200
    assert "Not sent: the mail server 127.0.0.1" in got.content.decode()
    # no token is left for an e-mail that never went, and nobody is marked as invited
    assert not AccessToken.objects.exists()
    assert not Invitation.objects.filter(invited_at__isnull=False).exists()
    assert not Invitation.objects.filter(undeliverable_at__isnull=False).exists()
    assert Response.objects.count() == 2


def test_the_opt_out_page_is_in_welsh_and_refuses_a_forged_link(listed: Wave) -> None:
    from django.utils.html import escape

    bryn = Invitation.objects.get(email="bryn@example.org")
    path = opt_out_link(bryn).removeprefix("http://testserver")
    page = Client().get("/cy" + path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Stopio'r e-byst" in text or escape("Stopio'r e-byst") in text
    forged = path.replace(path.split("/")[2], path.split("/")[2][:-2] + "xx")
    assert Client().post(forged).status_code == 404
    bryn.refresh_from_db()
    assert bryn.opted_out_at is None


def test_the_email_settings_page_saves_and_checks_the_schedule(staff: Client, wave: Wave) -> None:
    url = f"/backoffice/waves/{wave.pk}/emails/"
    base = {"sender_name": "CRI team", "reply_to": "team@example.org", "contact": "Us"}
    got = staff.post(url, {**base, "reminder_days": "7, 8", "reminder_interval_days": "3"})
    assert got.status_code == 400
    assert "reminder days: 7, 8 are closer together" in got.content.decode()
    got = staff.post(url, {**base, "reminder_days": "7, x", "reminder_interval_days": "3"})
    assert "Enter whole numbers of days separated by commas (not x)" in got.content.decode()
    wave.refresh_from_db()
    assert wave.reminder_days == []
    staff.post(url, {**base, "reminder_days": "14; 7", "reminder_interval_days": "3"})
    wave.refresh_from_db()
    assert (wave.reminder_days, wave.sender_name, wave.reply_to) == (
        [7, 14],
        "CRI team",
        "team@example.org",
    )
