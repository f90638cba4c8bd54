"""d. ``GET /api/v1/summaries`` under load.

The province dataset behind a real server — PostgreSQL with 4 uvicorn workers, SQLite with 1 —
and 50 concurrent clients in a second process (``benchmarks.loadgen``, loopback only) reading
random pages of 100 rows of the year with a finance token. Bounded: ``REQUESTS`` requests or
``SECONDS`` seconds, whichever first, after a short warm-up.
Target (PostgreSQL): p99 ≤ 150 ms, ≥ 300 requests/s, no errors.
"""

from __future__ import annotations

from benchmarks import Result
from benchmarks.support import CONCURRENCY, WORKERS, YEAR, Others, run_load, served

REQUESTS = 6000
SECONDS = 30


def run(quick: bool = False) -> list[Result]:
    out = []
    for backend, ds, server in served(quick):
        spec = {
            "base": server.base, "mode": "summaries", "token": ds.finance_token, "year": YEAR,
            "rows": ds.projects, "concurrency": CONCURRENCY,
        }  # fmt: skip
        run_load(**spec, requests=200, seconds=10)  # warm-up: connections, caches
        others = Others()
        r = run_load(**spec, requests=300 if quick else REQUESTS, seconds=10 if quick else SECONDS)
        note = (
            f"{WORKERS[backend]} worker(s), {CONCURRENCY} clients, {r['requests']:,} requests in "
            f"{r['seconds']:.1f} s, {r['errors']} errors {r['statuses']}; {ds.projects:,} rows{others.note()}"
        )
        out += [
            Result(f"d. summaries p50 ({backend})", r["p50_ms"], "ms", note),
            Result(f"d. summaries p99 ({backend})", r["p99_ms"], "ms", "target ≤ 150 ms (PostgreSQL)"),
            Result(
                f"d. summaries throughput ({backend})", r["rps"], "requests/s", "target ≥ 300 (PostgreSQL)"
            ),
        ]
    return out
