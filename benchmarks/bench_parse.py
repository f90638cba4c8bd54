"""a. Parse throughput: generated text tables in the seed's layout → ``ParsedTable``.

Tables of 100 projects × 20 indicators (one department each) are generated and rendered in
memory first; what is timed is ``app.targets.formats.parse_bytes`` over all of them — decoding,
layout, HTML cells, value grammar, import warnings — single process, with the grammar's memo
caches cleared before the run (they fill as the tables are read, as in a real import).
Target: ≥ 50,000 indicators/s.
"""

from __future__ import annotations

import time

from benchmarks import Result
from benchmarks.support import INDICATORS, PROJECTS, Others


def run(quick: bool = False) -> list[Result]:
    from app.demo.load import DemoSpec, tables
    from app.demo.render import render_table
    from app.targets import grammar
    from app.targets.formats import parse_bytes

    n_units = 20 if quick else 400  # 160,000 indicators at full size
    generated = list(
        tables(DemoSpec(units=n_units, projects=PROJECTS, indicators=INDICATORS, year=2023, seed=7))
    )
    files = [render_table(t, seed=7).encode() for t in generated]
    count = sum(len(p.indicators) for t in generated for p in t.projects)
    size = sum(map(len, files))
    del generated
    note = f"{count:,} indicators in {len(files)} files ({size / 1e6:.0f} MB), single process"
    grammar.parse_target.cache_clear()
    grammar.split_name_target.cache_clear()
    others = Others()
    started = time.perf_counter()
    parsed = 0
    for data in files:
        parsed += sum(len(p.indicators) for p in parse_bytes(data, format="text").projects)
    seconds = time.perf_counter() - started
    assert parsed == count
    note += others.note()
    return [Result("a. parse (text tables)", count / seconds, "indicators/s", note + "; target ≥ 50,000")]
