"""The seed (137 indicators, 8 projects) written out as grids reads back the same.

The seed is parsed in its published layout; each project is then written the way a bureau grid
holds it (title, 主管部门及代码, a project block, 一级/二级/三级指标/指标值 rows with the target
text as published) as XLSX, GBK CSV and HTML, and read back with the grid reader. Everything the
contract prints must come back, except warnings' places (see test_grid_formats).
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.targets.formats import parse_bytes
from app.targets.types import ParsedTable

SEED = Path(__file__).resolve().parents[1] / "seeds" / "menyuan-emergency-2023.txt"


def grid_rows(table: ParsedTable) -> list[list[str]]:
    parent = next(u for u in table.units if u.parent_code is None)
    rows = [[table.title], ["主管部门及代码", f"{parent.code} {parent.name}"]]
    units = {u.code: u for u in table.units}
    for project in table.projects:
        unit = units[project.unit_code]
        rows.append(["单位编码", unit.code, "单位名称", unit.name])
        rows.append(["项目名称", project.name, "资金总额（万元）", format(project.amount_wan, "f")])
        goals = "\n".join(f"目标{i}：{g}" for i, g in enumerate(project.goals, start=1))
        rows.append(["年度绩效目标", goals])
        rows.append(["一级指标", "二级指标", "三级指标", "指标值"])
        for ind in project.indicators:
            rows.append([ind.level1, ind.level2, ind.name, ind.target.raw])
        rows.append([])
    return rows


def as_xlsx(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row or [None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("gb18030")


def as_html(rows: list[list[str]]) -> bytes:
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c).replace(chr(10), '<br>')}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<html><body><table>{body}</table></body></html>".encode()


def without_places(table: ParsedTable) -> dict:
    out = table.to_json()
    out["warnings"] = sorted((w.code, w.project_seq or 0, w.indicator or "") for w in table.warnings)
    return out


@pytest.fixture(scope="module")
def seed() -> ParsedTable:
    return parse_bytes(SEED.read_bytes(), source=SEED.name)


@pytest.mark.parametrize(("fmt", "write"), [("xlsx", as_xlsx), ("csv", as_csv), ("html", as_html)])
def test_seed_written_as_grid_reads_back_identically(seed: ParsedTable, fmt: str, write) -> None:  # noqa: ANN001
    assert sum(len(p.indicators) for p in seed.projects) == 137
    data = write(grid_rows(seed))
    back = parse_bytes(data, source=f"upload.{fmt}")
    assert without_places(back) == without_places(seed)
