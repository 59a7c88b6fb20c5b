"""The readiness profile tried as an attacker would (issue: "One way from answer to figure").

1. **Differencing over time.** Download the profile PDF, let one more respondent
   submit, download it again: ``n × after − (n − 1) × before`` on every peer
   figure must not give the new respondent's scores to within 5 points.
2. **Fake peers.** Ten made-up open-link submissions around one real
   organisation must not let its index be read off the peer figures.

Both go through the real pages (the Django test client, the real database and
the PDF as a respondent downloads it).
"""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from pypdf import PdfReader

from collabready.analysis import codec
from collabready.instrument import Instrument
from collabready.scoring import score_matrix
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.services.responses import response_new
from tests.web.conftest import Invited, answer_everything, invite

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
#: How close a worked-out score may come to the real one before it counts as revealed.
TOLERANCE = 5.0
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


def _pdf_text(client: Client) -> str:
    got = client.get("/survey/profile.pdf")
    assert got.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(got.content)).pages)
    return " ".join(text.split())


def _peer_figures(text: str) -> tuple[int, list[float]]:
    """The number of peers and every number in the PDF's comparison with the sector."""
    start = text.find("Compared with your sector", text.find("Compared with your sector") + 1)
    start = start if start >= 0 else text.find("Compared with your sector")
    end = text.find("Suggested actions", start)
    section = text[start:end]
    count = re.search(r"\((\d[\d,]*) (?:other respondents|organisations)\)", section)
    if count is None:
        return 0, []
    body = section[count.end() :]
    # the figures only, not the notes beneath the table (which name the rounding steps)
    notes = [body.find(n) for n in ("Each organisation counts once", "The sector average is")]
    body = body[: min([i for i in notes if i >= 0], default=len(body))]
    return int(count.group(1).replace(",", "")), [float(x) for x in NUMBER.findall(body)]


def _scores(instrument: Instrument, code: int) -> dict[str, float]:
    """The index and block scores of a respondent answering ``code`` everywhere."""
    row = bytes([code]) * len(instrument.item_ids)
    result = score_matrix(codec.matrix_from_rows([row], len(instrument.item_ids)), instrument)
    return {c: float(result.column(c)[0]) for c in ("index", *instrument.block_ids)}


def _verified_peers(
    wave: Wave, instrument: Instrument, codes: list[int], sector_value: str = "public"
) -> None:
    sector = instrument.profile_question("sector").choice_by_value(sector_value).code
    made = []
    for code in codes:
        i = Invitation.objects.count()
        invitation = Invitation.objects.create(
            wave=wave, email=f"peer{i}@example.org", organisation=f"Peer {i}", sector=sector_value
        )
        r = response_new(wave=wave, instrument=instrument, invitation=invitation)
        r.answers = bytes([code]) * len(instrument.item_ids)
        # a whole profile, as a respondent's (the first choice of each, and the sector)
        profile = {q.id: q.choices[0].code for q in instrument.profile} | {"sector": sector}
        r.profile = codec.profile_update(bytes(r.profile), instrument, profile)
        r.sector = sector_value
        r.submitted_at = timezone.now()
        made.append(r)
    Response.objects.bulk_create(made)


@pytest.mark.slow
@override_settings(COLLABREADY_PEER_REFRESH_SECONDS=0, TASKS=IMMEDIATE_TASKS)
def test_two_downloads_around_one_submission_do_not_reveal_it(
    respondent: Client,
    instrument: Instrument,
    wave: Wave,
    invited: Invited,
    django_capture_on_commit_callbacks,
) -> None:
    _verified_peers(wave, instrument, [2, 3, 4, 2, 3, 4, 2, 3, 4, 3, 3, 2])
    for other_sector in ("private", "third"):  # a national picture around the sector
        _verified_peers(wave, instrument, [2, 3, 4, 3, 2, 3], other_sector)
    with django_capture_on_commit_callbacks(execute=True):
        answer_everything(respondent, instrument, code=4)
        respondent.post("/survey/check-your-answers/", {})
    before = _pdf_text(respondent)
    n_before, figures_before = _peer_figures(before)
    assert n_before >= 10, before  # the comparison is shown: there is something to attack

    # one more organisation submits, through the real pages (its answers: all 1)
    newcomer = invite(wave, instrument, "new@example.org", organisation="Newcomer Ltd")
    other = Client()
    assert other.get(f"/r/{newcomer.token}/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        answer_everything(other, instrument, code=1)
        other.post("/survey/check-your-answers/", {})
    assert Response.objects.get(pk=newcomer.response.pk).submitted_at is not None
    secret = _scores(instrument, 1)

    after = _pdf_text(respondent)
    n_after, figures_after = _peer_figures(after)
    assert len(figures_after) == len(figures_before)
    n_new, n_old = (n_after, n_before) if n_after != n_before else (n_before, n_before - 1)
    for b, a in zip(figures_before, figures_after, strict=True):
        worked_out = n_new * a - n_old * b
        for name, value in secret.items():
            assert abs(worked_out - value) > TOLERANCE, (name, value, worked_out, b, a)


@pytest.mark.slow
def test_ten_fake_open_link_peers_do_not_reveal_a_real_organisation(
    instrument: Instrument, wave: Wave
) -> None:
    victim = invite(wave, instrument, "victim@example.org", organisation="Victim Org")
    real = Client()
    assert real.get(f"/r/{victim.token}/").status_code == 302
    answer_everything(real, instrument, code=2)
    real.post("/survey/check-your-answers/", {})
    secret = _scores(instrument, 2)["index"]

    # the attacker: ten made-up peers (five at 0, five at 100) and one more to look from,
    # so that the real organisation is the middle of the sector
    viewer = None
    for code in [1] * 5 + [5] * 5 + [5]:
        fake = Client()
        assert fake.post(f"/w/{wave.slug}/").status_code == 302
        answer_everything(fake, instrument, code=code)
        fake.post("/survey/check-your-answers/", {})
        viewer = fake
    assert viewer is not None
    page = viewer.get("/survey/profile/").content.decode()
    median = re.search(r"Sector median</dt><dd[^>]*>(\d+)<", page)
    if median is not None:  # shown: the median must not give the real organisation away
        assert abs(float(median.group(1)) - secret) > TOLERANCE, (median.group(1), secret)
    else:
        assert 'id="peers-hidden"' in page
    text = _pdf_text(viewer)
    n, figures = _peer_figures(text)
    for figure in figures:
        assert abs(figure - secret) > TOLERANCE or n == 0, (figure, secret, n)
