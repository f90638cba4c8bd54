"""Benchmarks (``make bench`` = ``python -m benchmarks``). Not timed tests.

Every module ``benchmarks/bench_*.py`` exposes ``run(quick: bool = False) -> list[Result]``;
``python -m benchmarks`` runs them all (or those named: ``python -m benchmarks engine``) and prints
one table. Single process, no database unless the module says so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    benchmark: str  # e.g. "engine: score_project"
    value: float  # the figure, e.g. indicators per second
    unit: str  # e.g. "indicators/s"
    note: str = ""  # what was measured (sizes, repeats)
