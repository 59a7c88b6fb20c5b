"""collabready.stats imports its public names (and scipy) on first use, not on import."""

from __future__ import annotations

import subprocess
import sys
import types


def test_every_public_name_is_the_one_of_its_submodule() -> None:
    import collabready.stats as stats
    from collabready.stats import _public

    assert stats.__all__ == _public.__all__
    for name in stats.__all__:
        value = getattr(stats, name)
        assert value is getattr(_public, name)
        assert not isinstance(value, types.ModuleType), name  # instrument_reliability


def test_the_loader_and_the_exports_import_neither_scipy_nor_pandas() -> None:
    code = (
        "import sys\n"
        "import collabready.analysis.load, collabready.formats.export\n"
        "import collabready.formats.writers\n"
        "print(sorted(m for m in ('scipy', 'pandas') if m in sys.modules))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
