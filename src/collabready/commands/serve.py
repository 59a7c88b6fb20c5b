"""``collabready serve`` and ``collabready worker``: the platform in production.

``serve --production`` checks the required environment (and names everything
missing, without a traceback), collects the static files for WhiteNoise (when
the package's files are newer than the last collection),
optionally applies migrations, and runs gunicorn in this process: ``--workers``
processes of ``--threads`` threads each (gthread when threads > 1). gunicorn's
access log is off: the app writes its own request lines, with the request id
and without tokens (``collabready.web.logs``). Without ``--production`` it runs
Django's development server on the development settings.

``worker`` runs the background tasks queued in the database (django-tasks-db's
worker loop, with leases: ``collabready.web.worker``): any number of them, on any
number of machines; each task is claimed by exactly one worker (``SELECT ... FOR
UPDATE SKIP LOCKED``), and a task whose worker was killed goes back to the queue
once its lease runs out.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from collabready.errors import UserError

PRODUCTION = "collabready.web.settings.production"
DEVELOPMENT = "collabready.web.settings.base"


def _settings(*, production: bool) -> None:
    """Choose and check the settings, then set Django up."""
    if production:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", PRODUCTION)
        if os.environ["DJANGO_SETTINGS_MODULE"] == PRODUCTION:
            from collabready.web.settings.required import production_problems

            problems = production_problems(os.environ)
            if problems:
                raise UserError(
                    "cannot start in production: "
                    + "; ".join(problems)
                    + " (see docs/deployment.md)"
                )
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEVELOPMENT)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise UserError(f"the settings are not usable: {exc}") from None


def _static_sources() -> list[Path]:
    """Every file the static finders would collect (ours, the admin's)."""
    from django.contrib.staticfiles.finders import get_finders

    return [
        Path(storage.path(path)) for finder in get_finders() for path, storage in finder.list([])
    ]


def static_up_to_date(*, sources: list[Path], collected: Path) -> bool:
    """Whether ``collected`` holds a manifest newer than every one of ``sources``
    (collecting and compressing takes half a minute; a restart need not redo it)."""
    manifest = collected / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in sources)


def _prepare(*, migrate: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import DatabaseError

    if not (settings.WEB_DIR / "static" / "build" / "app.css").exists():
        raise UserError("the web assets are not built: run scripts/setup (or scripts/build-assets)")
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    if not settings.WHITENOISE_USE_FINDERS and not static_up_to_date(
        sources=_static_sources(), collected=Path(settings.STATIC_ROOT)
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    if migrate:
        try:
            call_command("migrate", interactive=False, verbosity=1)
        except DatabaseError as exc:
            raise UserError(f"cannot apply the migrations: {exc}".strip()) from None
    # gunicorn forks its workers from this process: none may inherit an open connection
    from django.db import connections

    connections.close_all()


def serve(  # noqa: PLR0917 (typer options)
    production: Annotated[
        bool,
        typer.Option(
            "--production", help="gunicorn with the production settings (else Django's dev server)."
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            envvar="COLLABREADY_WORKERS",
            help="gunicorn worker processes (0: 2 × cores + 1).",
        ),
    ] = 0,
    threads: Annotated[
        int,
        typer.Option(
            min=1, envvar="COLLABREADY_THREADS", help="Threads per worker (gthread if > 1)."
        ),
    ] = 1,
    timeout: Annotated[
        int,
        typer.Option(
            min=5, envvar="COLLABREADY_TIMEOUT", help="Seconds before a stuck worker is restarted."
        ),
    ] = 60,
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply database migrations first.")
    ] = False,
) -> None:
    """Serve the platform: under gunicorn with --production."""
    _settings(production=production)
    _prepare(migrate=migrate)
    if not production:
        from django.core.management import call_command

        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        return
    _gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers or 2 * (os.cpu_count() or 1) + 1,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "timeout": timeout,
            "graceful_timeout": 30,
            "keepalive": 5,
            # recycle workers now and then (memory), staggered so they never all restart
            "max_requests": 10_000,
            "max_requests_jitter": 1_000,
            # no access log (the app writes its own request lines, without tokens); gunicorn's
            # own messages reach stderr through the app's logging config, as JSON lines
            "accesslog": None,
            "errorlog": "/dev/null",
            "control_socket_disable": True,
            "proc_name": "collabready",
        }
    )


def _gunicorn(options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from collabready.web.wsgi import application

            return application

    sys.argv = sys.argv[:1]  # gunicorn reads its own options from argv otherwise
    Application().run()


def worker(
    production: Annotated[
        bool, typer.Option("--production", help="Use the production settings.")
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between polls when the queue is empty.")
    ] = 1.0,
    batch: Annotated[
        bool, typer.Option("--batch", help="Run every queued task, then exit.")
    ] = False,
    max_tasks: Annotated[
        int | None, typer.Option(min=1, help="Exit after this many tasks.")
    ] = None,
    worker_id: Annotated[
        str | None, typer.Option(help="A name for this worker in the task results.")
    ] = None,
) -> None:
    """Run the background tasks queued in the database (reports; e-mails and exports next)."""
    _settings(production=production)
    from django.conf import settings

    default = settings.TASKS["default"]
    backend = default.get("BACKEND") if isinstance(default, dict) else None
    if backend != "django_tasks_db.DatabaseBackend":
        raise UserError(
            f"the task backend is {backend}, which runs tasks inside the web process: "
            "set COLLABREADY_TASK_BACKEND=database (the production default) for a worker"
        )
    from django.utils.crypto import get_random_string

    from collabready.web.worker.leases import LeaseSettings, lease_problems
    from collabready.web.worker.runner import LeasedWorker

    if worker_id is not None and not 0 < len(worker_id) <= 64:
        raise UserError(f"--worker-id has {len(worker_id)} characters: use 1 to 64")
    lease = LeaseSettings.from_settings()
    problems = lease_problems(
        lease_seconds=lease.lease_seconds,
        heartbeat_seconds=lease.heartbeat_seconds,
        max_attempts=lease.max_attempts,
    )
    if problems:
        raise UserError("cannot start the worker: " + "; ".join(problems))
    _worker_logging()
    runner = LeasedWorker(
        lease=lease,
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )
    runner.configure_signals()
    runner.run()


def _worker_logging() -> None:
    """The worker's own lines (claims, recoveries, lost leases) reach standard error
    through the app's logging config; give them a handler if it has none (as
    django-tasks-db's ``db_worker`` does)."""
    import logging

    for name in ("django_tasks_db", "django_tasks", "collabready.web.worker"):
        log = logging.getLogger(name)
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
        if not log.hasHandlers():
            log.addHandler(logging.StreamHandler(sys.stderr))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)
