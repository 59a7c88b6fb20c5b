"""The API's request and response bodies (OpenAPI schemas come from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Input(Schema):
    """A request body: text may hold any character but NUL (which no database stores)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text must not contain the NUL character (\\u0000)")
        return value


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, object]] | None = None


class ScaleOptionOut(Schema):
    code: int
    label: dict[str, str]


class ScaleOut(Schema):
    id: str
    options: list[ScaleOptionOut]
    dont_know: ScaleOptionOut | None


class ItemOut(Schema):
    id: str
    block: str | None
    text: dict[str, str]
    scale: str
    reverse: bool


class ChoiceOut(Schema):
    code: int
    value: str
    label: dict[str, str]


class ProfileQuestionOut(Schema):
    id: str
    text: dict[str, str]
    choices: list[ChoiceOut]


class OpenQuestionOut(Schema):
    id: str
    text: dict[str, str]
    max_length: int


class InstrumentSummary(Schema):
    key: str
    id: str
    version: str
    title: dict[str, str]
    languages: list[str]
    items: int


class InstrumentOut(Schema):
    key: str
    id: str
    version: str
    title: dict[str, str]
    languages: list[str]
    blocks: list[str]
    #: the order of ``answers`` in a response
    item_order: list[str]
    items: list[ItemOut]
    scales: list[ScaleOut]
    profile: list[ProfileQuestionOut]
    open_questions: list[OpenQuestionOut]


class WaveOut(Schema):
    id: int
    slug: str
    name: str
    public_title: str
    public_title_cy: str
    instrument_key: str
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    open_link_enabled: bool
    privacy_notice: str
    created_at: datetime


class WaveIn(Input):
    slug: str = Field(pattern=r"^[-a-zA-Z0-9_]{1,60}$")
    name: str = Field(min_length=1, max_length=200)
    #: what respondents and readers see (the report's cover); blank: none set
    public_title: str = Field(default="", max_length=200)
    public_title_cy: str = Field(default="", max_length=200)
    instrument_key: str = Field(max_length=100)
    opens_at: datetime
    closes_at: datetime
    privacy_notice: str = Field(max_length=20000)
    open_link_enabled: bool = False


class WavePatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    public_title: str | None = Field(default=None, max_length=200)
    public_title_cy: str | None = Field(default=None, max_length=200)
    closes_at: datetime | None = None
    privacy_notice: str | None = Field(default=None, max_length=20000)
    open_link_enabled: bool | None = None


class WavePage(Schema):
    items: list[WaveOut]
    next_cursor: str | None


class InvitationIn(Input):
    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=1000)
    organisation: str = Field(max_length=1000)
    sector: str = Field(max_length=100)
    subsector: str = Field(default="", max_length=100)
    role: str = Field(default="", max_length=100)
    size: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)


class InvitationsIn(Input):
    invitations: list[InvitationIn] = Field(min_length=1, max_length=10000)


class InvitationsCreated(Schema):
    created: int


class InvitationOut(Schema):
    id: int
    #: e-mail address and name only for roles granted personal data (else null)
    email: str | None
    name: str | None
    organisation: str
    sector: str
    invited_at: datetime | None
    reminded_at: datetime | None
    reminders_sent: int
    started: bool
    submitted: bool


class InvitationPage(Schema):
    items: list[InvitationOut]
    next_cursor: str | None


class ResponseIn(Input):
    #: item id -> answer code (every item of the instrument)
    answers: dict[str, int]
    #: profile question id -> choice value (every profile question)
    profile: dict[str, str]
    open_answers: dict[str, str] = Field(default_factory=dict)
    organisation_ref: str = ""
    language: str = "en"


class ResponseOut(Schema):
    id: int
    wave_id: int
    submitted_at: datetime | None
    sector: str
    language: str
    #: answer codes in the instrument's ``item_order`` (null: not answered)
    answers: list[int | None]
    profile: dict[str, str]
    #: only for roles granted personal data (else null)
    open_answers: dict[str, str] | None


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class ScoresOut(Schema):
    response_id: int
    instrument_key: str
    #: 0-100 scores (null: too few answers to score)
    scores: dict[str, float | None]
    level: str | None


class EstimateOut(Schema):
    value: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None
    n: int


class CellOut(Schema):
    variable: str
    grouping: str
    domain: str
    #: the disclosure status; ``estimate`` is null unless published
    status: str
    estimate: EstimateOut | None


class AggregatesOut(Schema):
    wave_id: int
    k: int
    n_respondents: int
    submitted_until: datetime | None = Field(
        None,
        description="the figures are of the submissions up to this moment (a convenor's "
        "release: see docs/api.md); null: of every submission so far",
    )
    by: list[str]
    cells: list[CellOut]


class ExportIn(Input):
    format: str = Field(description="sav, dta, parquet, csv or xlsx")
    language: str = "en"
    scores: bool = False
    weights: bool = Field(default=False, description="the raking weight (the wave needs margins)")
    partial: bool = Field(default=False, description="partial responses too, with their last page")


class ExportOut(Schema):
    id: int
    wave_id: int
    format: str
    language: str
    scores: bool
    weights: bool
    partial: bool
    status: str
    progress: int
    error: str
    rows: int
    size_bytes: int
    created_at: datetime
    finished_at: datetime | None
    download: str | None


class ReportIn(Input):
    kind: str = Field(description="national or sector")
    format: str = Field(description="pdf or html")
    sector: str = ""


class ReportOut(Schema):
    id: int
    wave_id: int
    kind: str
    sector: str
    format: str
    status: str
    step: str
    progress: int
    error: str
    title: str
    size_bytes: int
    created_at: datetime
    finished_at: datetime | None
    download: str | None
