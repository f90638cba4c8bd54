"""Pydantic schemas of the entry API (contracts/README.md: projects, actuals, submit, score).

Decimals are serialised as strings, so nothing passes through a float on the way out. On the way
in, an ``actual`` may be a JSON number, a string as a clerk types it (``"96%"``, ``"85000元"``) or
one of the contract's objects; it is read by the same rules as the web form.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.core.errors import ErrorItem
from app.db.models import Indicator, Project, ProjectStatusEvent
from app.scoring.actuals import GRADE_LABELS
from app.submissions import entries as E
from app.submissions import fields as F
from app.submissions.queries import ProjectRow
from app.submissions.status import STATUS_LABELS

# ------------------------------------------------------------------------------ request bodies


def _body_fields(group: str | None) -> dict[str, Any]:
    """The request body's project fields (``app.submissions.fields``) under ``group``."""
    return {
        f.api_key: (f.kind.api_type | str | None, Field(None, description=f.label))
        for f in F.PROJECT_FIELDS
        if f.api_group == group
    }


class _Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")


BudgetIn = create_model("BudgetIn", __base__=_Forbid, **_body_fields("budget"))


class ActualIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator_id: int
    actual: Any = Field(
        None,
        description='实际完成值：数字或文字（"96%"、"85000元"），或 {"grade", "score"?}、{"date"}、'
        '{"baseline", "value"}、{"not_applicable": true}；null 清空',
    )
    reason: str | None = Field(None, description="偏差原因分析及改进措施")
    na_reason: str | None = Field(None, description="不适用的理由")


class _ActualsUpdate(_Forbid):
    """``PUT /projects/{id}/actuals``. Fields left out stay as stored (a draft may be partial)."""

    version: int = Field(description="读取项目时得到的版本号；已被他人修改时返回 409")
    budget: BudgetIn | None = None  # type: ignore[valid-type]
    actuals: list[ActualIn] = Field(default_factory=list)

    def to_entry(self, project: Project) -> tuple[E.ProjectEntry, list[ErrorItem]]:
        """The body as a ``ProjectEntry`` over the stored values, and the body's shape errors."""
        entry = E.ProjectEntry(version=self.version)
        errors: list[ErrorItem] = []
        for f in F.PROJECT_FIELDS:
            holder = self if f.api_group is None else getattr(self, f.api_group)
            if holder is not None and f.api_key in holder.model_fields_set:
                setattr(entry, f.name, E.api_text(getattr(holder, f.api_key)))
        by_id = {ind.id: ind for ind in project.indicators}
        for n, item in enumerate(self.actuals):
            ind = by_id.get(item.indicator_id)
            if ind is None:
                errors.append(
                    ErrorItem(
                        f"指标 {item.indicator_id} 不属于此项目",
                        "unknown_indicator",
                        ("actuals", item.indicator_id),
                    )
                )
                continue
            if ind.id in entry.actuals:
                errors.append(
                    ErrorItem(
                        f"{ind.name}：在 actuals 中出现了两次（第 {n + 1} 项）",
                        "duplicate",
                        ("actuals", ind.id),
                    )
                )
                continue
            typed = E.stored_entry(ind)
            if "actual" in item.model_fields_set:
                try:
                    typed = E.apply_api_actual(ind, typed, item.actual)
                except E.EntryError as exc:
                    errors.append(ErrorItem(f"{ind.name}：{exc.message}", exc.code, E.api_loc(exc.field)))
                    continue
            if "reason" in item.model_fields_set:
                typed.reason = item.reason or ""
            if "na_reason" in item.model_fields_set:
                typed.na_reason = item.na_reason or ""
            entry.actuals[ind.id] = typed
        return entry, errors


ActualsUpdate = create_model(
    "ActualsUpdate", __base__=_ActualsUpdate, __doc__=_ActualsUpdate.__doc__, **_body_fields(None)
)


# ------------------------------------------------------------------------------ responses


class UnitRead(BaseModel):
    code: str
    name: str


class ProjectSummary(BaseModel):
    id: int
    year: int
    unit: UnitRead
    seq: int
    name: str
    amount_wan: Decimal | None = Field(description="年初预算数（万元）")
    status: Literal["not_started", "draft", "submitted", "returned", "approved"] = Field(
        description="not_started 未填报（填报中且尚未填写任何实际值、预算数字或目标完成情况）| draft 填报中 | "
        "submitted 已提交 | returned 已退回 | approved 已审核"
    )
    status_label: str
    version: int
    indicators_filled: int
    indicators_total: int
    total: Decimal | None = Field(description="总分；有指标未填报或无法评分时为 null")
    grade: str | None
    score_so_far: Decimal | None = Field(description="已评分部分的得分合计（未完成时供参考）")
    return_comment: str | None = None
    updated_at: datetime

    @classmethod
    def of(cls, row: ProjectRow) -> ProjectSummary:
        p = row.project
        return cls(
            id=p.id,
            year=p.year,
            unit=UnitRead(code=p.unit.code, name=p.unit.name),
            seq=p.seq,
            name=p.name,
            amount_wan=p.amount_wan,
            status=row.status,
            status_label=row.status_label,
            version=p.version,
            indicators_filled=row.filled,
            indicators_total=row.total,
            total=row.view.total,
            grade=row.view.grade,
            score_so_far=row.view.provisional,
            return_comment=row.return_comment,
            updated_at=p.updated_at,
        )


class ProjectList(BaseModel):
    items: list[ProjectSummary]
    total: int
    limit: int
    offset: int


class TargetRead(BaseModel):
    raw: str
    kind: str
    operator: str | None
    value: Decimal | None
    unit: str | None
    expected: str | None
    date: date | None
    reference: str | None


class ActualRead(BaseModel):
    raw: str | None
    value: Decimal | None
    baseline: Decimal | None
    grade: str | None
    grade_label: str | None
    score: Decimal | None = Field(description="定性指标在等级区间内手填的评分")
    date: date | None
    not_applicable: bool
    na_reason: str | None
    reason: str | None
    updated_at: datetime | None


class IndicatorRead(BaseModel):
    id: int
    position: int
    level1: str
    level2: str
    name: str
    target: TargetRead
    direction: str
    input: str = Field(description="number | grade | date | reference：实际完成值的填写方式")
    points: Decimal | None = Field(description="目标表给出的分值（未给出时为 null，按评分规则分配）")
    actual: ActualRead | None
    score: dict[str, Any] | None = Field(description="该指标的评分（score-case 形式）")

    @classmethod
    def of(cls, ind: Indicator, score: dict[str, Any] | None) -> IndicatorRead:
        a = ind.actual
        return cls(
            id=ind.id,
            position=ind.position,
            level1=ind.level1,
            level2=ind.level2,
            name=ind.name,
            target=TargetRead(
                raw=ind.raw,
                kind=ind.kind,
                operator=ind.operator,
                value=ind.value,
                unit=ind.unit,
                expected=ind.expected,
                date=ind.deadline,
                reference=ind.reference,
            ),
            direction=ind.direction,
            input=E.input_kind(ind),
            points=ind.points,
            actual=None
            if a is None
            else ActualRead(
                raw=a.raw,
                value=a.value,
                baseline=a.baseline,
                grade=a.grade,
                grade_label=GRADE_LABELS.get(a.grade or ""),
                score=a.manual_score,
                date=a.completed_on,
                not_applicable=bool(a.not_applicable),
                na_reason=a.na_reason,
                reason=a.reason,
                updated_at=a.updated_at,
            ),
            score=score,
        )


class _BudgetRead(BaseModel):
    amount_wan: Decimal | None = Field(description="年初预算数（万元）")
    score: dict[str, Any] | None = Field(description="预算执行率及其得分")

    @classmethod
    def of(cls, project: Project, score: dict[str, Any] | None) -> _BudgetRead:
        stored = {f.api_out[-1]: getattr(project, f.column) for f in _BUDGET_OUT}
        return cls(amount_wan=project.amount_wan, score=score, **stored)


_BUDGET_OUT = tuple(f for f in F.PROJECT_FIELDS if f.api_out[:-1] == ("budget",))
BudgetRead = create_model(
    "BudgetRead",
    __base__=_BudgetRead,
    **{f.api_out[-1]: (f.kind.api_type | None, Field(description=f.label)) for f in _BUDGET_OUT},
)


class EventRead(BaseModel):
    from_status: str
    to_status: str
    label: str
    actor: str
    comment: str | None
    at: datetime

    @classmethod
    def of(cls, event: ProjectStatusEvent) -> EventRead:
        return cls(
            from_status=event.from_status,
            to_status=event.to_status,
            label=STATUS_LABELS.get(event.to_status, event.to_status),
            actor=event.actor_name,
            comment=event.comment,
            at=event.at,
        )


class ErrorRead(BaseModel):
    loc: list[str | int]
    msg: str
    code: str


class ProjectRead(ProjectSummary):
    goals: list[str]
    goal_actual: str | None
    budget: BudgetRead
    indicators: list[IndicatorRead]
    score: dict[str, Any] | None = Field(description="score-case 输出形式的评分")
    score_error: str | None = None
    missing: list[ErrorRead] = Field(description="提交前还缺少的内容（为空时可以提交）")
    history: list[EventRead]
