"""Production settings pass Django's deployment checks; they refuse to start without a key."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

MANAGE = str(Path(sys.executable).with_name("collabready-manage"))


def _run(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "collabready.web.settings.production",
        "COLLABREADY_DATA_DIR": str(tmp_path),
        "COLLABREADY_ALLOWED_HOSTS": "survey.example.org",
        "DATABASE_URL": "postgres://collabready@db.invalid:5432/collabready",
        **extra,
    }
    return subprocess.run(
        [MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    run = _run(tmp_path, COLLABREADY_SECRET_KEY=secrets.token_urlsafe(50))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_production_needs_a_secret_key(tmp_path: Path) -> None:
    run = _run(tmp_path)
    assert run.returncode != 0
    assert "COLLABREADY_SECRET_KEY is not set" in run.stderr
    assert not (tmp_path / "secret_key").exists()
