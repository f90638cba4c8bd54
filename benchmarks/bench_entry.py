"""e. A department saving a 26-indicator project with 50 clients at once.

50 projects of 26 indicators (each in its own unit, a department user with a write token each)
beside the province dataset, behind the same servers as d (PostgreSQL: 4 uvicorn workers, SQLite:
1). Each client saves its own project again and again with ``PUT /api/v1/projects/{id}/actuals``
— every indicator and the budget figures, the version from the previous answer, values
alternating so that each save changes the actuals, writes its audit rows and a new score
snapshot. Two loads, bounded by count and time:

- back to back: the 50 clients save as fast as the server answers (saturation: the latency is
  mostly the queue, 50 ÷ saves per second);
- clerks: 50 clients pausing between saves (exponential, mean ``THINK_MS``), as people do.

Target: p99 ≤ 300 ms, no errors.
"""

from __future__ import annotations

from benchmarks import Result
from benchmarks.support import CONCURRENCY, WORKERS, Others, run_load, served

REQUESTS = 3000
SECONDS = 30
THINK_MS = 2000


def run(quick: bool = False) -> list[Result]:
    out = []
    for backend, ds, server in served(quick):
        spec = {"base": server.base, "mode": "entry", "projects": ds.entry, "concurrency": CONCURRENCY}
        run_load(**spec, requests=100, seconds=10)  # warm-up
        seconds = 10 if quick else SECONDS
        others = Others()
        tight = run_load(**spec, requests=200 if quick else REQUESTS, seconds=seconds)
        tight["others"] = others.note()
        others = Others()
        paced = run_load(**spec, requests=REQUESTS, seconds=seconds, think_ms=THINK_MS)
        paced["others"] = others.note()
        for label, r in (("back to back", tight), (f"clerks, {THINK_MS / 1000:g} s pauses", paced)):
            note = (
                f"{WORKERS[backend]} worker(s), {CONCURRENCY} clients, {r['requests']:,} saves in "
                f"{r['seconds']:.1f} s ({r['rps']:.0f}/s), p50 {r['p50_ms']:.0f} ms, {r['errors']} errors "
                f"{r['statuses']}; target p99 ≤ 300 ms{r['others']}"
            )
            if r["samples"]:
                note += f"; e.g. {r['samples'][0][:120]}"
            out.append(Result(f"e. save p99, {label} ({backend})", r["p99_ms"], "ms", note))
    return out
