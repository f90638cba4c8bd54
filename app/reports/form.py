"""The 项目支出绩效自评表 (财预〔2020〕10号 附件) as data: one structure behind the XLSX export and
the printable page, so both show exactly the same figures.

``build_form`` takes a project (with unit, indicators and actuals loaded) and its score; it does not
query the database. Reviewer adjustments (§5a) appear beside the computed values: the adjusted
target (调整后指标值) beside the original, the reviewer's score beside the computed one; totals use
the adjusted scores, as the engine does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.db.models import Indicator, Project
from app.scoring.actuals import GRADE_LABELS
from app.scoring.engine import IndicatorScore, ProjectScore
from app.submissions.status import display_status
from app.targets.types import decimal_str

GRADE_SHORT = {"achieved": "达成", "partial": "部分达成", "not_achieved": "未达成"}


@dataclass
class TargetAdjustment:
    """调整后指标值: the target the reviewer set, shown beside the original (never replacing it)."""

    raw: str
    reason: str | None = None


@dataclass
class FormRow:
    indicator_id: int
    level1: str
    level2: str
    name: str
    target: str  # 年度指标值 as published
    adjusted_target: str | None
    actual: str  # 实际完成值 as the department entered it
    points: Decimal
    computed: Decimal | None  # the engine's score
    adjusted: Decimal | None  # the reviewer's score (§5a)
    reason: str  # 偏差原因分析及改进措施
    adjustment_reason: str  # why the reviewer changed the score or target
    explanation: str
    flags: list[str]
    completion: Decimal | None = None
    error: str | None = None  # why it cannot be scored
    level1_span: int = 0  # rows this level-1 cell spans (0: merged into the cell above)
    level2_span: int = 0

    @property
    def score(self) -> Decimal | None:
        """得分 as the totals count it."""
        return self.computed if self.adjusted is None else self.adjusted


@dataclass
class FundsBlock:
    """项目资金（万元）: 年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分."""

    initial_wan: Decimal | None
    full_year_wan: Decimal | None
    executed_wan: Decimal | None
    points: Decimal
    rate: Decimal | None
    score: Decimal | None
    reason: str


@dataclass
class SelfEvalForm:
    project_id: int
    year: int
    project_name: str
    department: str  # 主管部门
    unit_name: str  # 实施单位
    unit_code: str
    status: str
    funds: FundsBlock
    goals: list[str]
    goal_actual: str
    rows: list[FormRow]
    indicator_points: Decimal
    total: Decimal | None
    grade: str | None
    policy: str
    level1: dict[str, Decimal | None] = field(default_factory=dict)  # 一级指标 subtotals (得分)
    level1_points: dict[str, Decimal] = field(default_factory=dict)  # what each 一级指标 weighs (分值)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what keeps the project from a total

    @property
    def title(self) -> str:
        return "项目支出绩效自评表"

    @property
    def year_line(self) -> str:
        return f"（{self.year}年度）"

    @property
    def total_points(self) -> Decimal:
        return self.funds.points + self.indicator_points

    @property
    def has_adjusted_targets(self) -> bool:
        return any(r.adjusted_target for r in self.rows)

    @property
    def has_adjusted_scores(self) -> bool:
        return any(r.adjusted is not None for r in self.rows)

    @property
    def goal_text(self) -> str:
        if len(self.goals) <= 1:
            return "".join(self.goals)
        return "\n".join(f"目标{i}：{g}" for i, g in enumerate(self.goals, 1))


def actual_text(row: Indicator) -> str:
    """实际完成值 as a clerk reads it: the typed text, the grade, the date, baseline and value."""
    a = row.actual
    if a is None:
        return ""
    if a.not_applicable:
        return "不适用" + (f"（{a.na_reason}）" if a.na_reason else "")
    if a.grade:
        label = GRADE_LABELS.get(a.grade, a.grade)
        text = a.raw if a.raw and a.raw not in (a.grade, label, GRADE_SHORT.get(a.grade)) else label
        return text + (f"（自评 {decimal_str(a.manual_score)} 分）" if a.manual_score is not None else "")
    if a.completed_on is not None and row.direction == "deadline":
        return a.raw or f"{a.completed_on.year}年{a.completed_on.month}月{a.completed_on.day}日"
    if a.baseline is not None:
        unit = row.unit or ""
        return f"{decimal_str(a.value)}{unit}（基数 {decimal_str(a.baseline)}{unit}）"
    if a.raw:
        return a.raw
    return f"{decimal_str(a.value)}{row.unit or ''}" if a.value is not None else ""


def build_form(
    project: Project,
    score: ProjectScore | None,
    *,
    adjusted_targets: dict[int, TargetAdjustment] | None = None,
    error: str | None = None,
) -> SelfEvalForm:
    """The form of ``project`` scored as ``score`` (indicator i of the score is the i-th by position).

    ``score`` None (the project cannot be scored as a whole, ``error`` says why): the form is
    filled without scores."""
    adjusted_targets = adjusted_targets or {}
    indicators = sorted(project.indicators, key=lambda r: r.position)
    results: list[IndicatorScore | None] = list(score.indicators) if score else []
    if len(results) != len(indicators):  # defensive: never misalign scores and rows
        results = [None] * len(indicators)
    rows: list[FormRow] = []
    for ind, res in zip(indicators, results, strict=True):
        adj = adjusted_targets.get(ind.id)
        actual = ind.actual
        rows.append(
            FormRow(
                indicator_id=ind.id,
                level1=res.level1 if res else ind.level1,
                level2=ind.level2,
                name=ind.name,
                target=ind.raw,
                adjusted_target=adj.raw if adj else None,
                actual=actual_text(ind),
                points=res.points if res else (ind.points or Decimal(0)),
                computed=res.score if res else None,
                adjusted=res.adjusted_score if res else None,
                reason=(actual.reason or "") if actual else "",
                adjustment_reason="；".join(
                    x for x in ((adj.reason if adj else None), (res.adjustment_reason if res else None)) if x
                ),
                explanation=res.explanation if res else "",
                flags=list(res.flags) if res else [],
                completion=res.completion if res else None,
                error=res.error if res else None,
            )
        )
    _spans(rows)
    budget = score.budget if score else None
    funds = FundsBlock(
        initial_wan=project.amount_wan,
        full_year_wan=project.full_year_budget_wan,
        executed_wan=project.executed_wan,
        points=budget.points if budget else (project.budget_points or Decimal("10.00")),
        rate=budget.rate if budget else None,
        score=budget.score if budget else None,
        reason=project.budget_reason or "",
    )
    unit = project.unit
    parent = unit.parent
    return SelfEvalForm(
        project_id=project.id,
        year=project.year,
        project_name=project.name,
        department=(parent.name if parent else unit.name),
        unit_name=unit.name,
        unit_code=unit.code,
        status=display_status(project),
        funds=funds,
        goals=list(project.goals or []),
        goal_actual=project.goal_actual or "",
        rows=rows,
        indicator_points=(
            sum((v.points for v in score.level1.values()), Decimal("0.00"))
            if score
            else sum((r.points for r in rows), Decimal("0.00"))
        ),
        total=score.total if score else None,
        grade=score.grade if score else None,
        policy=f"{score.policy.name} v{score.policy.version}" if score else "",
        level1={k: v.score for k, v in score.level1.items()} if score else {},
        level1_points={k: v.points for k, v in score.level1.items()} if score else {},
        warnings=(
            [w.message if not w.indicator else f"{w.indicator}：{w.message}" for w in score.warnings]
            if score
            else [f"不能评分：{error}"]
            if error
            else []
        ),
        errors=[e.message if not e.indicator else f"{e.indicator}：{e.message}" for e in score.errors]
        if score
        else ([error] if error else []),
    )


def _spans(rows: list[FormRow]) -> None:
    """Rowspans of the level-1 and level-2 cells over consecutive equal values (merged cells)."""
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j].level1 == rows[i].level1:
            j += 1
        rows[i].level1_span = j - i
        k = i
        while k < j:
            m = k
            while m < j and rows[m].level2 == rows[k].level2:
                m += 1
            rows[k].level2_span = m - k
            k = m
        i = j


def pct(rate: Decimal | None) -> str:
    """0.9700 → ``97.00%``."""
    return "" if rate is None else f"{rate * 100:.2f}%"
