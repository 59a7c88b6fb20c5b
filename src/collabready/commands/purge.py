"""``collabready purge [--dry-run]``: apply each wave's retention policy to the web database.

The work is the web layer's (:mod:`collabready.web.privacy.services.retention`),
imported only when the command runs; the database is the one ``collabready demo``
uses (``COLLABREADY_DATA_DIR`` or ``DATABASE_URL``). Run it daily.
"""

from __future__ import annotations

from typing import Annotated

import typer

from collabready.commands.options import console


def purge(
    *,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be deleted; change nothing.")
    ] = False,
) -> None:
    """Delete personal data of waves past their retention period; keep anonymised answers."""
    from collabready.web.reporting import _check_database, _setup_django

    _setup_django()
    _check_database("", label="collabready purge")
    from collabready.web.privacy.services.retention import purge as run

    plans = run(dry_run=dry_run)
    verb = "Would purge" if dry_run else "Purged"
    if not plans:
        console.print("Nothing to purge: no wave is past its retention period.")
    for p in plans:
        console.print(
            f"{verb} wave {p.wave_slug} (due {p.due_at:%Y-%m-%d}): {p.invitations} e-mail "
            f"addresses and names, {p.links} links, {p.open_answers} open answers, "
            f"{p.idempotency_records} API request records"
        )


def register(app: typer.Typer) -> None:
    app.command("purge")(purge)
