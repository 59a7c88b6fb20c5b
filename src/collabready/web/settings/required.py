"""What production needs from the environment, checked without importing any settings."""

from __future__ import annotations

from collections.abc import Mapping

MIN_SECRET_KEY_LENGTH = 50


def production_problems(environ: Mapping[str, str]) -> list[str]:
    """Every required setting missing or unusable in ``environ``, each said in full."""
    problems = []
    key = environ.get("COLLABREADY_SECRET_KEY", "")
    if not key:
        problems.append(
            "COLLABREADY_SECRET_KEY is not set: production needs a long random secret key "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"COLLABREADY_SECRET_KEY has {len(key)} characters: use at least "
            f"{MIN_SECRET_KEY_LENGTH} random ones"
        )
    if not environ.get("COLLABREADY_ALLOWED_HOSTS", "").strip(", "):
        problems.append(
            "COLLABREADY_ALLOWED_HOSTS is not set: list the host names the service answers "
            "to, comma-separated (e.g. survey.example.org)"
        )
    url = environ.get("DATABASE_URL", "")
    if not url:
        problems.append(
            "DATABASE_URL is not set: production runs on PostgreSQL "
            "(e.g. postgres://collabready:PASSWORD@db.internal:5432/collabready)"
        )
    elif not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        problems.append(
            f"DATABASE_URL is a {url.split(':', 1)[0]} URL: production runs on PostgreSQL"
        )
    return problems
