"""A logo for a report's cover: checked before it goes into a public document.

Only PNG and JPEG are accepted, told apart by their content (not the file
name), decoded in full to prove they are images, and limited in bytes and
pixels. SVG is refused: it can carry scripts and links. Every problem found
is reported, not only the first.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from collabready.errors import UserError

__all__ = ["MAX_LOGO_BYTES", "MAX_LOGO_PIXELS", "Logo", "LogoError", "read_logo"]

#: The largest logo file accepted.
MAX_LOGO_BYTES = 512 * 1024
#: The largest logo accepted, in pixels (width times height).
MAX_LOGO_PIXELS = 4096 * 4096

_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


class LogoError(UserError, ValueError):
    """The file given as a logo cannot be used."""


@dataclass(frozen=True, slots=True)
class Logo:
    """A checked logo image and the text that describes it (its alt text)."""

    data: bytes
    media_type: str
    alt_text: str
    width: int
    height: int


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    return None


def read_logo(data: bytes, *, filename: str, alt_text: str) -> Logo:
    """``data`` as a :class:`Logo`, or :class:`LogoError` listing every problem."""
    from PIL import Image, UnidentifiedImageError

    problems: list[str] = []
    if not alt_text.strip():
        problems.append(
            "describe the logo in a few words (its alt text, read out by screen readers)"
        )
    if len(data) == 0:
        problems.append("the file is empty")
    elif len(data) > MAX_LOGO_BYTES:
        problems.append(
            f"the file is {len(data) / 1024:,.0f} KB; a logo may be at most "
            f"{MAX_LOGO_BYTES // 1024} KB"
        )
    kind = _sniff(data)
    head = data[:512].lstrip().lower()
    if kind is None and data:
        what = (
            "an SVG image" if b"<svg" in head or head.startswith(b"<?xml") else "not a PNG or JPEG"
        )
        problems.append(f"the file is {what}; upload the logo as a PNG or JPEG image")
    width = height = 0
    if kind is not None and len(data) <= MAX_LOGO_BYTES:
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_LOGO_PIXELS:
                    problems.append(
                        f"the image is {width} × {height} pixels; at most "
                        f"{MAX_LOGO_PIXELS:,} pixels in all"
                    )
                else:
                    image.load()  # decode it all: a truncated or corrupt file fails here
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            problems.append(f"the {kind} image cannot be read ({exc})")
    if problems:
        raise LogoError(f"{filename or 'logo'}: " + "; ".join(problems))
    assert kind is not None
    return Logo(data, _TYPES[kind], alt_text.strip(), width, height)
