"""The finance overview of one budget year: progress and scores per unit, charts, the indicators
most often missed and every consistency warning (docs/scoring-rules.md §10).

Everything is read from the latest score snapshots (``summaries.query_summaries``) and their stored
results; only projects that were never saved are scored live.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ImportBatch, Project
from app.db.models.accounts import User
from app.db.models.scoring import ScoreSnapshot
from app.reports import charts
from app.reports.summaries import (
    GRADES,
    Q2,
    SummaryFilter,
    SummaryRow,
    UnitAggregate,
    aggregate_by_unit,
    query_summaries,
)
from app.scoring.policy import DEFAULT_POLICY_NAME

# Score bins of the distribution chart: (label, low, high, grade colour).
BINS = (("<60", 0, 60, "差"), ("60–69", 60, 70, "中"), ("70–79", 70, 80, "中"), ("80–89", 80, 90, "良"),
        ("90–100", 90, 101, "优"))  # fmt: skip

WARNING_LABELS = {
    "ahead_of_spending": "绩效得分率明显高于预算执行",
    "low_execution_rate": "预算执行率低于 80%",
    "overachieved": "大幅超额完成",
    "share_over_100": "比率超过 100%",
    "budget_missing": "缺少预算执行数据",
    "amounts_mismatch": "项目金额合计与单位合计不符",
    "cost_over_amount": "成本指标合计超过项目金额",
    "goal_contradicts_indicator": "绩效目标与指标值矛盾",
    "deadline_before_year": "时限早于预算年度",
    "level1_missing": "缺少一级指标",
    "unparsed_value": "指标值无法识别",
}


@dataclass
class MissedIndicator:
    level2: str
    name: str
    missed: int  # projects where it lost points
    seen: int  # projects where it was scored
    lost: Decimal  # points lost in total

    @property
    def share(self) -> Decimal:
        return (Decimal(self.missed) / self.seen).quantize(Decimal("0.0001")) if self.seen else Decimal(0)


@dataclass
class WarningItem:
    code: str
    message: str
    unit: str = ""
    project: str = ""
    project_id: int | None = None
    indicator: str = ""
    source: str = "评分"  # 评分 (engine) | 导入 (import)

    @property
    def label(self) -> str:
        return WARNING_LABELS.get(self.code, self.code)


@dataclass
class Overview:
    year: int | None
    years: list[int]
    units: list[UnitAggregate]
    totals: UnitAggregate
    distribution_svg: str
    units_svg: str
    missed: list[MissedIndicator]
    warnings: list[WarningItem]
    warning_counts: list[tuple[str, str, int]] = field(default_factory=list)
    policy: str = DEFAULT_POLICY_NAME


def years(session: Session) -> list[int]:
    return list(session.scalars(select(Project.year).distinct().order_by(Project.year.desc())))


def build_overview(*, session: Session, user: User | None, year: int | None) -> Overview:
    all_years = years(session)
    if year is None and all_years:
        year = all_years[0]
    rows = (
        query_summaries(session=session, user=user, filters=SummaryFilter(year=year), with_all=True).all_rows
        or []
        if year is not None
        else []
    )
    units = aggregate_by_unit(rows)
    totals = UnitAggregate("", "合计")
    for row in rows:
        totals.add(row)
    missed, engine_warnings = _from_snapshots(session, rows)
    warnings = engine_warnings + _import_warnings(session, year)
    counts = Counter((w.code, w.label) for w in warnings)
    return Overview(
        year=year,
        years=all_years,
        units=units,
        totals=totals,
        distribution_svg=distribution_chart(rows),
        units_svg=units_chart(units),
        missed=missed,
        warnings=warnings,
        warning_counts=[(code, label, n) for (code, label), n in counts.most_common()],
    )


def distribution_chart(rows: list[SummaryRow]) -> str:
    counts = [0] * len(BINS)
    for row in rows:
        if row.total is None:
            continue
        for i, (_, lo, hi, _g) in enumerate(BINS):
            if lo <= row.total < hi:
                counts[i] += 1
                break
    bars = [
        charts.Bar(label, n, charts.GRADE_COLOURS[grade], note=grade, title=f"{label} 分：{n} 个项目")
        for (label, _lo, _hi, grade), n in zip(BINS, counts, strict=True)
    ]
    return charts.column_chart(bars, title="总分分布（已评分项目数）", unit="个")


def units_chart(units: list[UnitAggregate]) -> str:
    from app.scoring.engine import grade_of
    from app.scoring.policy import get_builtin_policy

    cp = get_builtin_policy().compiled
    bars = [
        charts.Bar(
            u.unit_name,
            u.average,
            charts.GRADE_COLOURS[grade_of(u.average, cp)],
            note=f"（{u.scored}/{u.projects} 个项目）",
            title=f"{u.unit_name}：平均 {u.average} 分，已评分 {u.scored} / {u.projects} 个项目",
        )
        if u.average is not None
        else charts.Bar(u.unit_name, None, note=f"尚无已提交的评分（{u.projects} 个项目）")
        for u in units
    ]
    return charts.bar_chart(bars, title="各单位平均分（按金额加权）", lines=(60, 80, 90))


def _from_snapshots(
    session: Session, rows: list[SummaryRow]
) -> tuple[list[MissedIndicator], list[WarningItem]]:
    """Indicators that lost points and the engine's warnings, from the stored results (and from
    the live score of a project that has no snapshot yet)."""
    by_id = {r.project_id: r for r in rows}
    missed: dict[tuple[str, str], MissedIndicator] = {}
    warnings: list[WarningItem] = []
    ids = [r.project_id for r in rows if r.from_snapshot]
    results = [(r.project_id, r.live_result) for r in rows if not r.from_snapshot and r.live_result]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = select(ScoreSnapshot.project_id, ScoreSnapshot.result).where(
            ScoreSnapshot.project_id.in_(chunk), ScoreSnapshot.is_latest
        )
        results.extend((pid, result) for pid, result in session.execute(stmt))
    for project_id, result in results:
        row = by_id[project_id]
        _count_missed(missed, result or {})
        for w in (result or {}).get("warnings") or []:
            item = WarningItem(
                w.get("code", ""), w.get("message", ""), row.unit_name, row.project, project_id
            )
            item.indicator = w.get("indicator") or ""
            warnings.append(item)
    ranked = sorted(
        (m for m in missed.values() if m.missed), key=lambda m: (-m.missed, -m.lost, m.level2, m.name)
    )
    order = {r.project_id: i for i, r in enumerate(rows)}
    warnings.sort(key=lambda w: (order.get(w.project_id or 0, 0), w.code))
    return ranked[:15], warnings


def _count_missed(acc: dict[tuple[str, str], MissedIndicator], result: dict[str, Any]) -> None:
    for ind in result.get("indicators") or []:
        final = ind.get("final_score", ind.get("score"))
        if final is None or "not_applicable" in (ind.get("flags") or []):
            continue
        key = (ind.get("level2") or "", ind.get("name") or "")
        m = acc.get(key)
        if m is None:
            m = acc[key] = MissedIndicator(key[0], key[1], 0, 0, Decimal("0.00"))
        m.seen += 1
        lost = Decimal(str(ind.get("points") or 0)) - Decimal(str(final))
        if lost > 0:
            m.missed += 1
            m.lost += lost.quantize(Q2, ROUND_HALF_UP)


def _import_warnings(session: Session, year: int | None) -> list[WarningItem]:
    """Import-time warnings (§10) of the year's latest import batches, each once."""
    if year is None:
        return []
    seen: set[tuple] = set()
    out: list[WarningItem] = []
    batches = session.scalars(
        select(ImportBatch).where(ImportBatch.year == year).order_by(ImportBatch.imported_at.desc())
    )
    for batch in batches:
        for w in batch.warnings or []:
            key = (batch.sha256, w.get("code"), w.get("message"), w.get("project_seq"), w.get("indicator"))
            if key[1:] in seen:
                continue
            seen.add(key[1:])
            out.append(
                WarningItem(
                    w.get("code", ""),
                    w.get("message", ""),
                    project=f"第 {w['project_seq']} 个项目" if w.get("project_seq") else "",
                    indicator=w.get("indicator") or "",
                    source=f"导入（{batch.source_name}）",
                )
            )
    return out


def grade_counts(rows: list[SummaryRow]) -> dict[str, int]:
    out = dict.fromkeys(GRADES, 0)
    for r in rows:
        if r.grade in out:
            out[r.grade] += 1
    return out
