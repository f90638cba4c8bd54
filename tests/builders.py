"""Small builders for test data (no factory framework)."""

from __future__ import annotations

from decimal import Decimal

from app.targets.types import ParsedIndicator, ParsedProject, ParsedTable, ParsedUnit, Target


def numeric(raw: str, op: str, value: str, unit: str | None) -> Target:
    return Target(raw=raw, kind="numeric", operator=op, value=Decimal(value), unit=unit)


def qualitative(word: str) -> Target:
    return Target(raw=word, kind="qualitative", expected=word)


def indicator(
    name: str, target: Target, level1: str = "产出指标", level2: str = "数量指标"
) -> ParsedIndicator:
    return ParsedIndicator(level1=level1, level2=level2, name=name, target=target)


def small_table(year: int = 2023, *, check_target: Target | None = None) -> ParsedTable:
    """One department (900), one unit (900001), two projects, five indicators."""
    p1 = ParsedProject(
        seq=1,
        unit_code="900001",
        name="安全检查专项",
        amount_wan=Decimal("10.00"),
        goals=["完成安全检查20次"],
        indicators=[
            indicator("企业安全检查", check_target or numeric("≥20次", ">=", "20", "次")),
            indicator("检查覆盖率", numeric("≥95%", ">=", "95", "%"), level2="质量指标"),
            indicator("检查成本", numeric("≤8万元", "<=", "8", "万元"), level2="成本指标"),
            indicator("制度健全性", qualitative("健全"), level1="效益指标", level2="可持续影响指标"),
        ],
    )
    p2 = ParsedProject(
        seq=2,
        unit_code="900001",
        name="培训经费",
        amount_wan=Decimal("2.50"),
        goals=[],
        indicators=[indicator("培训次数", numeric("3次", "=", "3", "次"))],
    )
    return ParsedTable(
        title=f"测试局{year}年部门预算项目支出绩效目标公开表",
        year=year,
        total_wan=Decimal("12.50"),
        units=[
            ParsedUnit("900", "测试局", Decimal("12.50"), None),
            ParsedUnit("900001", "测试局本级", Decimal("12.50"), "900"),
        ],
        projects=[p1, p2],
    )
