"""Back office: live monitoring of a wave (counts, quotas, days, funnel) and its quotas."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from collabready.web.access.policy import Action
from collabready.web.backoffice.forms import QuotasForm
from collabready.web.backoffice.permissions import object_for, staff_required
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.monitoring import Day, wave_monitoring
from collabready.web.surveys.services.waves import WaveError, quotas_parse, wave_set_quotas

CHART_HEIGHT = 160
PLOT_LEFT = 40
MIN_PLOT_WIDTH = 560


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    y: int
    height: int
    label: str


@dataclass(frozen=True, slots=True)
class DayChart:
    """Starts and completions per day as SVG bar geometry (drawn by the template)."""

    width: int
    bar: int
    height: int
    starts: tuple[Bar, ...]
    completions: tuple[Bar, ...]
    peak: int
    first: str
    last: str


def day_chart(days: tuple[Day, ...]) -> DayChart | None:
    if not days:
        return None
    peak = max(max(d.starts, d.completions) for d in days) or 1
    slot = max(6, MIN_PLOT_WIDTH // len(days))
    bar = max(2, min(24, (slot - 2) // 2))
    starts: list[Bar] = []
    completions: list[Bar] = []
    for i, d in enumerate(days):
        x = PLOT_LEFT + 2 + i * slot
        for value, out, offset, what in (
            (d.starts, starts, 0, "started"),
            (d.completions, completions, bar, "submitted"),
        ):
            h = round(CHART_HEIGHT * value / peak)
            out.append(
                Bar(x + offset, 10 + CHART_HEIGHT - h, h, f"{d.day:%d/%m/%Y}: {value} {what}")
            )
    return DayChart(
        width=PLOT_LEFT + len(days) * slot + 20,
        bar=bar,
        height=CHART_HEIGHT + 40,
        starts=tuple(starts),
        completions=tuple(completions),
        peak=peak,
        first=f"{days[0].day:%d/%m/%Y}",
        last=f"{days[-1].day:%d/%m/%Y}",
    )


@staff_required
def monitoring(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.INVITATION_VIEW)
    figures = wave_monitoring(wave=wave)
    return render(
        request,
        "backoffice/monitoring.html",
        {"wave": wave, "m": figures, "chart": day_chart(figures.days)},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def quotas(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    current = "\n".join(
        f"{variable}, {key}, {target}"
        for variable, targets in (wave.quotas or {}).items()
        for key, target in targets.items()
    )
    form = QuotasForm(request.POST or None, initial={"quotas": current})
    if request.method == "POST" and form.is_valid():
        try:
            parsed = quotas_parse(wave=wave, text=form.cleaned_data["quotas"])
            wave_set_quotas(wave_id=wave.pk, quotas=parsed, actor=request.user)
        except WaveError as exc:
            for problem in exc.problems:
                form.add_error("quotas", problem)
        else:
            messages.success(request, "Quotas saved.")
            return redirect("backoffice:monitoring", wave_id=wave.pk)
    instrument = instrument_get(wave.instrument_key)
    return render(
        request,
        "backoffice/quotas.html",
        {
            "wave": wave,
            "form": form,
            "questions": [
                (q.id, [(c.value, c.code, c.label.get("en")) for c in q.choices])
                for q in instrument.profile
                if q.id in ("sector", "subsector", "region", "size")
            ],
        },
        status=400 if form.errors else 200,
    )
