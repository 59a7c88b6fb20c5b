"""Preparing the demo: database, instrument, a wave of synthetic responses, a staff user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from collabready.web.reports.models import WaveMargins
from collabready.web.reports.services import margins_save
from collabready.web.surveys.instruments import instrument_latest
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.services.bulk import responses_bulk_load
from collabready.web.surveys.services.responses import response_new
from collabready.web.surveys.services.tokens import token_issue

DEMO_SLUG = "demo"
DEMO_USER = "demo-admin"
DEMO_EMAIL = "demo.leader@example.org"
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
    invitation, created = Invitation.objects.get_or_create(
        wave=wave,
        email=DEMO_EMAIL,
        defaults={
            "name": "Demo Leader",
            "organisation": "Demo Borough Council",
            "sector": "public",
        },
    )
    if created:
        response_new(wave=wave, instrument=instrument, invitation=invitation).save()
    token = token_issue(response=invitation.response, purpose=AccessToken.Purpose.LINK)
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
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    return DEMO_USER, password
