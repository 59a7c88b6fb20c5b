"""Where a page save's time goes: cProfile over repeated saves of the Citizens page.

    .venv/bin/python -m benchmarks.load.profile_save [--saves 300] [--top 25]

In this process, on a throw-away PostgreSQL database on 127.0.0.1 (dropped at
the end), with the production settings' middleware: a browser calling the WSGI
application (form-encoded posts with the session and CSRF cookies, as from
gunicorn) opens one personal link and posts the Citizens page ``--saves`` times without the
profiler, then ``--saves`` times again under cProfile. It prints the median
time of a save, its same-run floor (the bare upsert of
``benchmarks.load.floor`` on the same connection, no HTTP, no middleware), this
process's CPU time per save (less sensitive than wall time to other work on the
machine, but it leaves out PostgreSQL's own work), the SQL statements of one
save (the session read included), and the functions with the most cumulative
and the most own time, so that the platform's cost can be read against what a
save must do at the least.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import time

from benchmarks._util import header
from benchmarks.load._harness import Harness, make_invitations, page_answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    header("Profile of a page save (Citizens page), in process, on PostgreSQL")
    harness = Harness()
    try:
        harness.create_database()
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from benchmarks.load.floor import CREATE, TABLE
        from collabready.web.surveys.journey import journey_pages

        instrument, tokens = make_invitations(1)
        citizens = next(p for p in journey_pages(instrument) if p.slug == "citizens")
        browser = _WsgiBrowser()
        assert browser.request("GET", f"/r/{tokens[0]}/") == 302
        url = "/survey/questions/citizens/"
        assert browser.request("GET", url) == 200
        rng = random.Random(1)
        for _ in range(20):  # warm-up
            assert browser.request("POST", url, page_answers(citizens, rng)) == 302
        with CaptureQueriesContext(connection) as captured:
            assert browser.request("POST", url, page_answers(citizens, rng)) == 302
        statements = [q["sql"] for q in captured.captured_queries]
        times = []
        cpu = []
        for _ in range(args.saves):
            data = page_answers(citizens, rng)
            t0, c0 = time.perf_counter(), time.process_time()
            status = browser.request("POST", url, data)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert status == 302, status
        profiler = cProfile.Profile()
        for _ in range(args.saves):
            data = page_answers(citizens, rng)
            profiler.enable()
            status = browser.request("POST", url, data)
            profiler.disable()
            assert status == 302, status
        with connection.cursor() as cursor:
            cursor.execute(CREATE)
        floor = []
        for n in range(args.saves):
            codes = bytes(rng.randint(1, 5) for _ in citizens.items)
            t0 = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {TABLE} (id, answers, version) VALUES (%s, %s, 1) "
                    f"ON CONFLICT (id) DO UPDATE SET answers = EXCLUDED.answers, "
                    f"version = {TABLE}.version + 1",
                    [n % 50, codes],
                )
            floor.append(time.perf_counter() - t0)
        save_ms = statistics.median(times) * 1000
        floor_ms = statistics.median(floor) * 1000
        print(
            f"page save (WSGI, all middleware, no profiler): median {save_ms:.2f} ms "
            f"over {args.saves}; bare upsert on the same connection: {floor_ms:.2f} ms "
            f"({save_ms / floor_ms:.1f}x); this process's CPU time per save: median "
            f"{statistics.median(cpu) * 1000:.2f} ms, mean {statistics.mean(cpu) * 1000:.2f} ms"
        )
        print(f"SQL statements of one save: {len(statements)}")
        for sql in statements:
            print(f"  {sql[:150]}")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(order).print_stats(args.top)
            print(f"\n## under cProfile, by {order} time\n{out.getvalue()}")
        return 0
    finally:
        harness.close()


class _WsgiBrowser:
    """A browser calling the WSGI application in this process, as gunicorn calls it:
    a form-encoded body, the session and CSRF cookies, the page's CSRF token (the
    test client would skip the CSRF check and post multipart bodies)."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> int:
        import re
        import urllib.parse

        body = b""
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf}).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        got: dict[str, object] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            got["status"] = int(status.split(maxsplit=1)[0])
            for name, value in headers:
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]

        result = self.app(environ, start_response)
        try:
            text = b"".join(result).decode("utf-8", "replace")
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if match:
            self.csrf = match.group(1)
        status = got["status"]
        assert isinstance(status, int)
        return status


if __name__ == "__main__":
    sys.exit(main())
