"""The export's pseudonyms: this code against the previous code and ``hmac.new``, in one run.

    .venv/bin/python -m benchmarks.bench_pseudonyms [--ids 200000] [--repeat 3]

Hashes ``--ids`` respondent ids with :func:`collabready.formats.pseudonyms.
pseudonym_digests` and formats them with :func:`~collabready.formats.pseudonyms.
pseudonym_column` (the hex column), against two baselines measured in the same
run: ``hmac.new`` per id (the definition) and the previous code (precomputed
OpenSSL states, a Python string per id, kept below). All three must give the
same strings. The whole export, from the database, against the previous code
in the same run: ``benchmarks.bench_export --compare-src``.

Best of ``--repeat`` rounds, the three run in turn in each; the figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac

import numpy as np
from numpy.typing import NDArray

from benchmarks._util import best_of, header
from collabready.formats.pseudonyms import pseudonym_column, pseudonym_digests

KEY = b"benchmark key, thrown away after the run"
SCOPE = "wave:bench"


def previous(key: bytes, scope: str, kind: str, ids: NDArray[np.int64]) -> list[str]:
    """The pseudonyms as the previous code made them (before this benchmark)."""
    padded = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    inner.update(f"{scope}|{kind}|".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    out = []
    for i in ids:
        h = inner.copy()
        h.update(str(int(i)).encode())
        o = outer.copy()
        o.update(h.digest())
        out.append(o.hexdigest()[:16])
    return out


def definition(ids: NDArray[np.int64]) -> list[str]:
    return [
        hmac.new(KEY, f"{SCOPE}|respondent|{i}".encode(), hashlib.sha256).hexdigest()[:16]
        for i in ids.tolist()
    ]


def current(ids: NDArray[np.int64]) -> list[str]:
    column = pseudonym_column("id", pseudonym_digests(KEY, SCOPE, "respondent", ids))
    return column.to_list()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not 1_000 <= args.ids <= 5_000_000:
        parser.error("--ids must be 1,000 to 5,000,000")
    header(f"pseudonyms of {args.ids:,} respondent ids, best of {args.repeat}")
    ids = np.random.default_rng(1).permutation(args.ids * 3)[: args.ids].astype(np.int64) + 1
    # interleaved, so that a change in the machine's load hits the three alike
    runs = {"definition": lambda: definition(ids)}
    runs["previous"] = lambda: previous(KEY, SCOPE, "respondent", ids)
    runs["current"] = lambda: current(ids)
    best = dict.fromkeys(runs, float("inf"))
    results = {}
    for _ in range(args.repeat):
        for name, run in runs.items():
            t, results[name] = best_of(run, 1)
            best[name] = min(best[name], t)
    t_def, t_prev, t_now = best["definition"], best["previous"], best["current"]
    by_definition, by_previous, by_current = (results[k] for k in runs)
    same = by_definition == by_previous == by_current
    for name, t in (("hmac.new per id", t_def), ("previous code", t_prev), ("this code", t_now)):
        per = t / args.ids * 1e9
        print(f"{name:<18} {t * 1e3:>8.0f} ms {per:>6.0f} ns/id {t_def / t:>5.2f}x hmac.new")
    print(f"this code / previous: {t_prev / t_now:.2f}x faster; the same pseudonyms: {same}")


if __name__ == "__main__":
    main()
