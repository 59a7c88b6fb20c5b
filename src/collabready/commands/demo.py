"""``collabready demo``: the platform on SQLite with a demo wave full of synthetic answers."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from collabready.errors import UserError


def demo(
    port: Annotated[int, typer.Option("--port", help="Port to serve on (127.0.0.1).")] = 8000,
    respondents: Annotated[
        int,
        typer.Option("--respondents", "-n", min=0, help="Synthetic responses in the demo wave."),
    ] = 3000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the web server afterwards.")
    ] = True,
) -> None:
    """Set up (or reuse) the database and a demo wave, print the links, and serve."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabready.web.settings.base")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from rich.console import Console

    from collabready.web.demo import demo_prepare

    console = Console(highlight=False, soft_wrap=True)
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    if not (settings.WEB_DIR / "static" / "build" / "app.css").exists():
        raise UserError("the web assets are not built: run scripts/setup (or scripts/build-assets)")
    base_url = f"http://127.0.0.1:{port}"
    with console.status("Preparing the database and the demo wave"):
        result = demo_prepare(respondents=respondents, base_url=base_url)
    console.print(f"[bold]Database:[/] {settings.DATABASES['default']['NAME']}")
    console.print(
        f"[bold]Demo wave:[/] {result.wave.name} ({result.instrument_key}): "
        f"{result.submitted:,} submitted responses"
        + (f", {result.loaded:,} loaded now" if result.loaded else " (reused)")
    )
    console.print(f"[bold]Back office:[/]        {base_url}/backoffice/")
    console.print(f"  staff user:         {result.username}")
    console.print(f"  password:           {result.password}")
    console.print(f"[bold]Survey (open link):[/] {result.open_link}")
    console.print(f"[bold]Personal link:[/]      {result.personal_link}")
    if serve:
        from collabready.web.reports.services import export_jobs_abandon, report_jobs_abandon

        # Report jobs run on threads of this server; any left unfinished by an earlier
        # run will never finish: say so on their pages.
        report_jobs_abandon()
        export_jobs_abandon()
        console.print(f"Serving on {base_url} (Ctrl+C to stop)")
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
