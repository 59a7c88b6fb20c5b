"""Preparing the demo: database, instrument, a wave of synthetic responses, a staff user."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from collabready.web.reports.models import WaveMargins
from collabready.web.reports.services import margins_save
from collabready.web.surveys.instruments import instrument_get, instrument_latest
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.services.bulk import responses_bulk_load
from collabready.web.surveys.services.responses import response_new
from collabready.web.surveys.services.tokens import token_hash, token_issue

DEMO_SLUG = "demo"
DEMO_USER = "demo-admin"
DEMO_EMAIL_PREFIX = "demo.leader"
DEMO_EMAIL = f"{DEMO_EMAIL_PREFIX}@example.org"
#: The demo personal link's token (only its hash is in the database), mode 600.
TOKEN_FILE = "demo-personal-token"  # noqa: S105 (a file name, not a secret)
SEED = 2026
PRIVACY = (
    "This is a demonstration. The research team uses your answers only to produce statistics "
    "about collaboration readiness, and publishes no figure that describes fewer than five "
    "organisations.\n"
    "You can ask for your answers to be deleted until the survey closes."
)


@dataclass(frozen=True, slots=True)
class DemoResult:
    wave: Wave
    instrument_key: str
    loaded: int
    submitted: int
    username: str
    password: str
    open_link: str
    personal_link: str


def demo_prepare(*, respondents: int, base_url: str) -> DemoResult:
    """Migrate, then create what is missing; running it again reuses everything."""
    call_command("migrate", interactive=False, verbosity=0)
    instrument = instrument_latest()
    now = timezone.now()
    wave, _ = Wave.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Collaboration Readiness demo wave",
            "instrument_key": instrument.key,
            "opens_at": now - timedelta(days=14),
            "closes_at": now + timedelta(days=365),
            "privacy_notice": PRIVACY,
            "open_link_enabled": True,
        },
    )
    loaded = 0
    have = Response.objects.filter(wave=wave, synthetic=True).count()
    if have < respondents:
        from collabready.synth import generate_wave

        synthetic = generate_wave(
            respondents=respondents - have, seed=SEED + have, instrument=instrument
        )
        loaded = responses_bulk_load(wave=wave, responses=synthetic.responses)
    if not WaveMargins.objects.filter(wave=wave).exists():
        # The synthetic sample is drawn from the shipped population; weight to its margins.
        from collabready.synth import data_path

        margins_file = data_path("margins.csv")
        margins_save(wave=wave, data=margins_file.read_bytes(), filename=margins_file.name)
    token = _personal_token(wave)
    username, password = _staff_user()
    return DemoResult(
        wave=wave,
        instrument_key=wave.instrument_key,
        loaded=loaded,
        submitted=Response.objects.filter(wave=wave, submitted_at__isnull=False).count(),
        username=username,
        password=password,
        open_link=base_url + reverse("surveys:open_start", args=[wave.slug]),
        personal_link=base_url + reverse("surveys:token", args=[token]),
    )


def _personal_token(wave: Wave) -> str:
    """The demo's personal link token: the same one on every run while its response
    is not submitted.

    Only the token's hash is in the database, so the token itself is kept in the
    data directory (``demo-personal-token``, mode 600). A missing or stale file, or
    a submitted response, gets a new token (for a new demo invitation once the
    last one is submitted); the demo response's other personal links are revoked.
    """
    path = settings.DATA_DIR / TOKEN_FILE
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        found = (
            AccessToken.objects.filter(
                token_hash=token_hash(token),
                purpose=AccessToken.Purpose.LINK,
                response__wave=wave,
                response__submitted_at__isnull=True,
                response__invitation__email__startswith=DEMO_EMAIL_PREFIX,
            )
            .only("pk")
            .first()
        )
        if found is not None:
            return token
    response = _demo_response(wave)
    with transaction.atomic():
        AccessToken.objects.filter(response=response, purpose=AccessToken.Purpose.LINK).delete()
        token = token_issue(response=response, purpose=AccessToken.Purpose.LINK)
        _write_private(path, token)
    return token


def _demo_response(wave: Wave) -> Response:
    """The demo leader's response still to submit; a new demo invitation when every
    earlier one has been submitted."""
    mine = Invitation.objects.filter(wave=wave, email__startswith=DEMO_EMAIL_PREFIX)
    open_one = mine.filter(response__submitted_at__isnull=True).select_related("response").first()
    if open_one is not None:
        response: Response = open_one.response
        return response
    count = mine.count()
    invitation = Invitation.objects.create(
        wave=wave,
        email=DEMO_EMAIL if count == 0 else f"{DEMO_EMAIL_PREFIX}+{count + 1}@example.org",
        name="Demo Leader",
        organisation="Demo Borough Council",
        sector="public",
    )
    response = response_new(
        wave=wave, instrument=instrument_get(wave.instrument_key), invitation=invitation
    )
    response.save()
    return response


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (never briefly by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")
        out.flush()
        os.fsync(out.fileno())
    partial.chmod(0o600)
    partial.replace(path)


def _staff_user() -> tuple[str, str]:
    """The demo staff account; its password is kept in the data directory (mode 600)."""
    path = settings.DATA_DIR / "demo-staff-password"
    user_model = get_user_model()
    user = user_model.objects.filter(username=DEMO_USER).first()
    if user is not None and path.exists():
        return DEMO_USER, path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(12)
    if user is None:
        user = user_model.objects.create_user(DEMO_USER, "demo-admin@example.org", password)
    user.is_staff = True
    user.is_superuser = True
    user.set_password(password)
    user.save()
    _write_private(path, password)
    return DEMO_USER, password
