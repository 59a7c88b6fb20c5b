"""``collabready report national``'s cover and fieldwork options, run as a user would."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from PIL import Image

from .test_cli_report import run


@pytest.fixture(scope="module")
def fieldwork(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small wave in which nobody from Wales has answered yet, and the full margins."""
    d = tmp_path_factory.mktemp("fieldwork")
    wave, margins = d / "w.parquet", d / "m.csv"
    r = run("synth", "-n", "300", "--seed", "5", "-o", str(wave), "--margins", str(margins))
    assert r.returncode == 0, r.stderr
    pl.read_parquet(wave).filter(pl.col("region") != "wales").write_parquet(wave)
    return wave, margins


def test_empty_margin_level_is_merged_or_drafted(fieldwork: tuple[Path, Path], tmp_path: Path):
    wave, margins = fieldwork
    out = tmp_path / "r.html"
    r = run("report", "national", "--data", str(wave), "--margins", str(margins), "-o", str(out))
    assert r.returncode != 0
    assert "region='wales'" in r.stderr
    assert "no respondent has this level" in r.stderr
    assert not out.exists()

    r = run(
        "report", "national", "--data", str(wave), "--margins", str(margins),
        "--merge", "region:wales=south_west", "-o", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    html = out.read_text("utf-8")
    assert "weighted by raking" in html
    assert "region: wales into south_west" in html

    logo = tmp_path / "logo.png"
    buf = io.BytesIO()
    Image.new("RGB", (100, 30), (0, 90, 160)).save(buf, "PNG")
    logo.write_bytes(buf.getvalue())
    foreword = tmp_path / "foreword.md"
    foreword.write_text("Thanks to **everyone** who answered.", "utf-8")
    r = run(
        "report", "national", "--data", str(wave), "--draft", "--title", "Interim findings",
        "--subtitle", "Spring 2026", "--foreword", str(foreword), "--logo", str(logo),
        "--logo-alt", "Our logo", "-o", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    html = out.read_text("utf-8")
    cover = html[html.index('<header class="cover">') : html.index("</header>")]
    assert "Interim findings" in cover
    assert "Spring 2026" in cover
    assert 'alt="Our logo"' in cover
    assert "<strong>Draft</strong>" in cover
    assert "<strong>everyone</strong>" in html
    assert "No population margins were supplied: figures are unweighted." in html


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--merge", "region-wales"), "--merge 'region-wales': write VARIABLE:LEVEL=INTO"),
        (("--merge", "region:wales=atlantis"), "region='wales': cannot be merged into 'atlantis'"),
        (("--logo", "{svg}", "--logo-alt", "x"), "the file is an SVG image"),
        (("--logo", "{png}"), "describe the logo in a few words"),
    ],
)
def test_bad_options_are_one_line(
    fieldwork: tuple[Path, Path], tmp_path: Path, extra: tuple[str, ...], message: str
):
    wave, margins = fieldwork
    svg, png = tmp_path / "logo.svg", tmp_path / "logo.png"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "utf-8")
    Image.new("RGB", (10, 10)).save(png, "PNG")
    args = [a.format(svg=svg, png=png) for a in extra]
    out = tmp_path / "r.pdf"
    r = run(
        "report", "national", "--data", str(wave), "--margins", str(margins), *args, "-o", str(out)
    )
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0]
    assert not out.exists()
