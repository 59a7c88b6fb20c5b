"""Drive a fixed set of prepared HTTP requests with wrk (https://github.com/wg/wrk).

The load scripts' saturation phases use wrk rather than Python threads: wrk is
an event loop in C, so on a two-core machine it leaves the server the CPU that
a Python load generator would take. ``scripts/setup --test`` installs Debian's
``wrk``.

:func:`run` writes a Lua script that cycles through the requests (each wrk
thread starts at its own offset), counts every reply whose status is not the
expected one as an error, and prints one JSON line from wrk's ``done`` hook:
requests, duration, latency percentiles and errors. Everything goes to
127.0.0.1 only, for a bounded ``duration``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = shutil.which("wrk")

_LUA = r"""
local specs = {
%(specs)s
}
local expected = %(expected)d
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  statuses = {}
  prepared = {}
  for i, s in ipairs(specs) do
    prepared[i] = wrk.format(s[1], s[2], s[3], s[4])
  end
  counter = id * 7919
end

function request()
  counter = counter + 1
  return prepared[(counter %% #prepared) + 1]
end

function response(status, headers, body)
  if status ~= expected then
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  local by_status = {}
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    for status, n in pairs(t:get("statuses")) do
      by_status[#by_status + 1] = string.format('"%%d": %%d', status, n)
    end
  end
  local e = summary.errors
  io.write(string.format(
    '\nWRK-JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "bad_status": %%d, "by_status": {%%s}, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "timeout": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, bad_total, table.concat(by_status, ", "),
    e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    detail: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string for ASCII text


def _spec(r: Request) -> str:
    headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in r.headers.items())
    body = "nil" if r.body is None else _lua_string(r.body)
    return f"  {{{_lua_string(r.method)}, {_lua_string(r.path)}, {{{headers}}}, {body}}},"


def run(
    port: int,
    requests: list[Request],
    *,
    expected: int,
    connections: int,
    seconds: float,
    threads: int = 1,
) -> Result:
    """Run wrk against ``127.0.0.1:port`` for ``seconds``, cycling through ``requests``."""
    if WRK is None:
        raise SystemExit("wrk is not installed: run scripts/setup --test (it installs wrk)")
    for r in requests:
        if not (r.path + "".join(r.headers.values()) + (r.body or "")).isascii():
            raise ValueError("wrk requests must be ASCII (URL-encode the body)")
    with tempfile.TemporaryDirectory(prefix="cr-wrk-") as tmp:
        script = Path(tmp) / "requests.lua"
        specs = "\n".join(_spec(r) for r in requests)
        script.write_text(_LUA % {"specs": specs, "expected": expected})
        out = subprocess.run(
            [
                WRK,
                *("-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s"),
                *("--timeout", "15s", "-s", str(script)),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    got = json.loads(line.removeprefix("WRK-JSON "))
    socket_errors = got["connect"] + got["read"] + got["write"] + got["timeout"]
    detail = ", ".join(
        [f"HTTP {status} × {n}" for status, n in sorted(got["by_status"].items())]
        + [f"{what} × {got[what]}" for what in ("connect", "read", "write", "timeout") if got[what]]
    )
    return Result(
        requests=got["requests"],
        seconds=got["duration_us"] / 1e6,
        p50_ms=got["p50_us"] / 1000,
        p95_ms=got["p95_us"] / 1000,
        p99_ms=got["p99_us"] / 1000,
        max_ms=got["max_us"] / 1000,
        errors=got["bad_status"] + socket_errors,
        detail=detail,
    )
