"""Run every ``benchmarks/bench_*.py`` module and print a table: ``python -m benchmarks [NAME ...] [--quick]``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

import benchmarks
from benchmarks import Result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these modules (bench_NAME.py)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    modules = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names or m in args.names]
    rows: list[tuple[str, Result]] = []
    for name in modules:
        started = time.perf_counter()
        for result in importlib.import_module(f"benchmarks.{name}").run(quick=args.quick):
            rows.append((name, result))
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(_table(rows))
    return 0


def _table(rows: list[tuple[str, Result]]) -> str:
    head = ("module", "benchmark", "value", "unit", "note")
    body = [
        (m, r.benchmark, f"{r.value:,.0f}" if r.value >= 100 else f"{r.value:.3g}", r.unit, r.note)
        for m, r in rows
    ]
    widths = [max(_width(x) for x in col) for col in zip(head, *body, strict=False)]
    lines = [_line(head, widths), _line(tuple("-" * w for w in widths), widths)]
    lines += [_line(row, widths) for row in body]
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()


if __name__ == "__main__":
    sys.exit(main())
