"""b. Import throughput: the province's generated tables into SQLite and PostgreSQL.

One transaction per table (as ``jixiao import``): ``import_table`` and the commit, from already
parsed tables into an empty, migrated database. This import also builds the dataset the
re-score, summaries and entry benchmarks use (app/demo: figures and snapshots after it).
"""

from __future__ import annotations

from benchmarks import Result
from benchmarks.support import backends, dataset


def run(quick: bool = False) -> list[Result]:
    out = []
    for backend in backends():
        ds = dataset(backend, quick)
        note = (
            f"{ds.indicators:,} indicators, {ds.projects:,} projects in {ds.units // 5:,} tables, "
            f"{ds.import_seconds:.1f} s; then figures + snapshots {ds.load_seconds:.0f} s{ds.import_note}"
        )
        out.append(Result(f"b. import ({backend})", ds.indicators / ds.import_seconds, "indicators/s", note))
    return out
