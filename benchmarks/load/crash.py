"""Crash test: respondents keep answering while the server and the database die under them.

    .venv/bin/python -m benchmarks.load.crash [--sessions 24] [--chaos worker,server,postgres]
        [--settle 4] [--time-limit 180] [--json]

Against ``collabready serve --production`` (gunicorn, 2 sync workers) and
PostgreSQL 15 on 127.0.0.1 only, in a throw-away database
``collabready_load_<pid>`` that is dropped at the end:

1. ``--sessions`` respondent threads walk the real survey over HTTP with
   personal links, one journey after another (open the link; every page,
   fetched then posted with answers; check your answers; submit). Every request
   that fails (connection refused or reset, a timeout, any 5xx) is retried, with
   a short back-off, until the time limit. A page save counts as *acknowledged*
   when the server answered its POST with the redirect to the next page; a
   submission when its POST redirected to the confirmation.
2. Meanwhile, in order (``--chaos`` chooses which): ``kill -9`` one gunicorn
   worker; ``kill -9`` the whole server (master and workers), then start it
   again; restart PostgreSQL (``pg_ctlcluster --skip-systemctl-redirect 15 main
   restart``: once, and short, because other people use that server). Each
   step waits ``--settle`` seconds of load first.
3. Then the check, in the database: every acknowledged page's answers are there
   (*present*, else *lost*); every acknowledged submission is recorded, once
   (*duplicated*: an invitation with more than one response, or more than one
   submitted); no response is half-written (a page with some but not all of
   its answers). It also counts the answers the clients saw: 503s (styled, with
   ``Retry-After``, as while the database restarts), bare 500s, and
   connections refused or reset.

Exit status 1 if anything was lost, duplicated or half-written, or if a bare
500 was seen. ``tests/web/test_crash.py`` runs a small version (worker kill
only) in the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.load._harness import Browser, Harness, UnavailableError, page_answers, version_on

PG_RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"]


@dataclass
class Tally:
    """What the clients saw and were told, shared by every client thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pages: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    submissions: list[str] = field(default_factory=list)
    journeys: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def saw(self, what: str) -> None:
        with self.lock:
            self.statuses[what] += 1


class GiveUpError(Exception):
    """The time limit passed while a request was still being retried."""


def _retry(tally: Tally, deadline: float, attempt: Any) -> Any:
    pause = 0.2
    while True:
        try:
            return attempt()
        except UnavailableError as exc:
            tally.saw(str(exc))
            if time.monotonic() > deadline:
                raise GiveUpError(str(exc)) from None
            time.sleep(pause)
            pause = min(pause * 1.5, 1.0)


def _journey(
    browser: Browser,
    token: str,
    *,
    pages: Any,
    rng: random.Random,
    tally: Tally,
    deadline: float,
) -> None:
    def enter() -> None:
        got = browser.request("GET", f"/r/{token}/")
        if got.status != 302:
            raise RuntimeError(f"opening the link: HTTP {got.status}")

    _retry(tally, deadline, enter)
    for page in pages:
        url = f"/survey/questions/{page.slug}/"
        data = page_answers(page, rng)

        def save(url: str = url, data: dict[str, str] = data) -> None:
            shown = browser.request("GET", url)
            if shown.status != 200:
                raise RuntimeError(f"GET {url}: HTTP {shown.status}")
            got = browser.request("POST", url, data)
            if got.status != 302:
                raise RuntimeError(f"POST {url}: HTTP {got.status}")

        _retry(tally, deadline, save)
        with tally.lock:
            tally.pages.append((token, page.slug, data))
        time.sleep(0.01)

    def submit() -> None:
        check = browser.request("GET", "/survey/check-your-answers/")
        if check.status == 302 and check.headers.get("location", "").endswith("/confirmation/"):
            return  # an earlier attempt went through before its answer was lost
        version = version_on(check.body)
        got = browser.request("POST", "/survey/check-your-answers/", {"version": version or ""})
        if got.status != 302 or not got.headers.get("location", "").endswith("/confirmation/"):
            raise RuntimeError(f"submitting: HTTP {got.status}")

    _retry(tally, deadline, submit)
    with tally.lock:
        tally.submissions.append(token)
        tally.journeys += 1


def _client(  # noqa: PLR0917 (a thread target)
    port: int,
    tokens: list[str],
    pages: Any,
    seed: int,
    tally: Tally,
    stop: threading.Event,
    deadline: float,
) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        with tally.lock:
            if not tokens:
                return
            token = tokens.pop()
        browser = Browser(port)
        try:
            _journey(browser, token, pages=pages, rng=rng, tally=tally, deadline=deadline)
        except GiveUpError as exc:
            with tally.lock:
                tally.unexpected.append(f"gave up at the time limit: {exc}")
            return
        except RuntimeError as exc:
            with tally.lock:
                tally.unexpected.append(str(exc))
        finally:
            browser.close()


def _verify(instrument: Any, tally: Tally) -> dict[str, int]:
    from django.db import connections

    from collabready.analysis import codec as codes
    from collabready.web.surveys.journey import journey_pages
    from collabready.web.surveys.models import AccessToken, Response
    from collabready.web.surveys.services.tokens import token_hash

    connections.close_all()
    by_token: dict[str, Response] = {}
    for token in {t for t, _, _ in tally.pages} | set(tally.submissions):
        found = AccessToken.objects.select_related("response").get(token_hash=token_hash(token))
        by_token[token] = found.response
    decoded = {
        token: (
            codes.answers_decode(bytes(r.answers), instrument),
            codes.profile_decode(bytes(r.profile), instrument),
        )
        for token, r in by_token.items()
    }
    pages = {p.slug: p for p in journey_pages(instrument)}
    present = 0
    for token, slug, data in tally.pages:
        answers, profile = decoded[token]
        page = pages[slug]
        ok = all(answers.get(i.id) == int(data[i.id]) for i in page.items) and all(
            profile.get(q.id) == int(data[q.id]) for q in page.questions
        )
        present += ok
    submitted = sum(by_token[t].submitted_at is not None for t in tally.submissions)
    rows_per_invitation = Counter(
        Response.objects.filter(invitation__isnull=False).values_list("invitation_id", flat=True)
    )
    duplicated = sum(n - 1 for n in rows_per_invitation.values() if n > 1)
    half = 0
    for response in Response.objects.select_related("invitation"):
        answers = codes.answers_decode(bytes(response.answers), instrument)
        profile = codes.profile_decode(bytes(response.profile), instrument)
        # profile answers the invitation gave are there before the respondent saves
        # anything (prefilled): a page is half-written only in what respondents write
        invitation = response.invitation
        prefilled = {"sector", *(invitation.details or {})} if invitation is not None else set()
        for page in pages.values():
            ids = [i.id for i in page.items]
            qids = [q.id for q in page.questions if q.id not in prefilled]
            given = sum(i in answers for i in ids) + sum(q in profile for q in qids)
            if 0 < given < len(ids) + len(qids):
                half += 1
    return {
        "pages_acknowledged": len(tally.pages),
        "pages_present": present,
        "pages_lost": len(tally.pages) - present,
        "submissions_acknowledged": len(tally.submissions),
        "submissions_present": submitted,
        "submissions_lost": len(tally.submissions) - submitted,
        "duplicated": duplicated,
        "half_written": half,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=24)
    parser.add_argument("--chaos", default="worker,server,postgres")
    parser.add_argument("--settle", type=float, default=4.0)
    parser.add_argument("--time-limit", type=float, default=180.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="also print the counts as JSON")
    args = parser.parse_args(argv)
    chaos = [c for c in args.chaos.split(",") if c]
    unknown = set(chaos) - {"worker", "server", "postgres"}
    if unknown:
        parser.error(f"--chaos: unknown step(s) {', '.join(sorted(unknown))}")

    started = time.monotonic()
    deadline = started + args.time_limit
    harness = Harness(workers=args.workers)

    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    try:
        harness.create_database()
        from benchmarks.load._harness import make_invitations
        from collabready.web.surveys.journey import journey_pages

        instrument, tokens = make_invitations(args.sessions * 40)
        pages = journey_pages(instrument)
        say(f"database {harness.name}: {len(tokens)} invitations, {len(pages)} pages each")
        harness.start()
        say(f"server on 127.0.0.1:{harness.port}: {args.workers} sync workers")
        tally = Tally()
        stop = threading.Event()
        clients = [
            threading.Thread(
                target=_client,
                args=(harness.port, tokens, pages, n, tally, stop, deadline),
                daemon=True,
            )
            for n in range(args.sessions)
        ]
        for client in clients:
            client.start()
        say(f"{args.sessions} respondents answering")
        time.sleep(args.settle)
        if "worker" in chaos:
            pid = harness.kill_worker()
            say(f"kill -9 gunicorn worker {pid} (acknowledged pages so far: {len(tally.pages)})")
            time.sleep(args.settle)
        if "server" in chaos:
            harness.kill_server()
            say(f"kill -9 the whole server (acknowledged pages so far: {len(tally.pages)})")
            time.sleep(1.0)
            harness.start()
            say("server started again")
            time.sleep(args.settle)
        if "postgres" in chaos:
            t0 = time.monotonic()
            restart = subprocess.run(PG_RESTART, capture_output=True, text=True, check=False)
            took = time.monotonic() - t0
            say(f"PostgreSQL restarted in {took:.1f} s (exit {restart.returncode})")
            if restart.returncode != 0:
                say(restart.stderr.strip())
            time.sleep(args.settle)
        stop.set()
        say("no new journeys; waiting for the respondents to finish theirs")
        for client in clients:
            client.join(timeout=max(1.0, deadline - time.monotonic()))
        still = sum(c.is_alive() for c in clients)
        counts = _verify(instrument, tally)
        counts["journeys"] = tally.journeys
        counts["clients_unfinished"] = still
        counts["bare_500"] = tally.statuses.get("HTTP 500", 0) + tally.statuses.get(
            "HTTP 503 (bare)", 0
        )
        counts["styled_503"] = tally.statuses.get("HTTP 503", 0)
        counts["refused_or_reset"] = sum(
            n for what, n in tally.statuses.items() if not what.startswith("HTTP")
        )
        counts["unexpected"] = len(tally.unexpected)
        say("done")
        print()
        print(f"{'':28}{'acknowledged':>14}{'present':>10}{'lost':>8}{'duplicated':>12}")
        print(
            f"{'page saves':28}{counts['pages_acknowledged']:>14,}{counts['pages_present']:>10,}"
            f"{counts['pages_lost']:>8,}{'':>12}"
        )
        print(
            f"{'submissions':28}{counts['submissions_acknowledged']:>14,}"
            f"{counts['submissions_present']:>10,}{counts['submissions_lost']:>8,}"
            f"{counts['duplicated']:>12,}"
        )
        print(
            f"half-written pages: {counts['half_written']}; journeys completed: "
            f"{tally.journeys}; retried answers: styled 503 {counts['styled_503']}, "
            f"bare 500 {counts['bare_500']}, refused/reset/timeout {counts['refused_or_reset']}"
        )
        for problem in tally.unexpected[:10]:
            print(f"  unexpected: {problem}")
        if args.json:
            print(json.dumps(counts))
        bad = (
            counts["pages_lost"]
            + counts["submissions_lost"]
            + counts["duplicated"]
            + counts["half_written"]
            + counts["bare_500"]
            + counts["unexpected"]
        )
        return 1 if bad else 0
    finally:
        harness.close()


if __name__ == "__main__":
    sys.exit(main())
