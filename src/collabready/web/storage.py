"""The production static files storage: compressed, content-hashed, never stale.

WhiteNoise's ``CompressedManifestStaticFilesStorage`` writes a gzip and a
Brotli copy of every file and a hashed name (``app.3f2a….css``) that WhiteNoise
serves with a year-long ``immutable`` cache header.

Two departures from it. Not strict: the reports refer to the ``build/vega/``
directory, which has no manifest entry of its own (its files are served under
their plain names too). And a reference to a file that is not shipped (GOV.UK
Frontend's CSS names a crest image we leave out; the vendored JavaScript names
source maps) is left as written instead of failing ``collectstatic``.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]  # untyped
    manifest_strict = False

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return str(super().hashed_name(name, content, filename))
        except ValueError:  # the referenced file does not exist: keep its name
            return name
