"""View models of the 自评表 entry form: what each row shows, from stored or just-typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.scoping import can_write_project
from app.core.params import parse_id
from app.db.models import Indicator, Project
from app.db.models.accounts import User
from app.scoring.actuals import GRADE_LABELS
from app.scoring.engine import BudgetScore, IndicatorScore
from app.scoring.explain import REASON_GIVEN, REASON_NEEDED
from app.scoring.input_shapes import OPERATORS
from app.submissions import entries as E
from app.submissions import fields as F
from app.submissions import queries
from app.submissions.merge import KEEP_PREFIX, LOADED_FIELD, loaded_token
from app.submissions.service import FieldChange, Missing, ScoreView, score_of
from app.submissions.status import EDITABLE, STATUS_LABELS
from app.targets.queries import group_indicators

# The select shows short labels (the column is narrow); the full wording is the option's title.
GRADE_SHORT = {
    "achieved": "达成年度指标",
    "partial": "部分达成并具有一定效果",
    "not_achieved": "未达成且效果较差",
}
GRADE_CHOICES = [(code, GRADE_SHORT[code], full) for code, full in GRADE_LABELS.items()]
DIRECTION_HINTS = {
    "positive": "正向：越高越好",
    "reverse": "反向：越低越好",
    "zero_target": "目标为 0",
    "qualitative": "定性：选择评价等级",
    "deadline": "时效：填写完成日期",
    "reference": "参照：填写基数和实际值",
    "unparsed": "指标值未能识别：选择评价等级",
}


def explained(text: str | None, reason: str | None) -> str:
    """An explanation or warning with 需说明偏差原因 turned into 已说明偏差原因 once a reason is written."""
    if text and (reason or "").strip():
        return text.replace(REASON_NEEDED, REASON_GIVEN)
    return text or ""


@dataclass(slots=True)
class RowView:
    """One indicator row of the form."""

    ind: Indicator
    kind: str
    entry: E.ActualEntry
    score: IndicatorScore | None
    errors: dict[str, str] = field(default_factory=dict)  # prefix (a, b, g, s, d, nr, r) → message
    conflicts: dict[str, str] = field(default_factory=dict)  # prefix → the stored value shown
    missing: dict[str, str] = field(default_factory=dict)  # prefix → what submission still needs

    @property
    def id(self) -> int:
        return self.ind.id

    @property
    def reason_required(self) -> bool:
        return bool(self.score and self.score.reason_required and not self.entry.not_applicable)

    @property
    def reason_missing(self) -> bool:
        """Required and not written yet: what the 必填 tag beside the reason box says."""
        return self.reason_required and not self.entry.reason.strip()

    @property
    def explanation(self) -> str:
        return explained(self.score.explanation, self.entry.reason) if self.score else ""

    @property
    def unit(self) -> str:
        return self.ind.unit or ""

    @property
    def hint(self) -> str:
        return DIRECTION_HINTS.get(self.ind.direction, "")

    @property
    def target_detail(self) -> str:
        """The parsed target under the raw text, so a clerk sees how it was read."""
        return E.shape(self.ind).target_detail(self.ind)


@dataclass(slots=True)
class BudgetView:
    """The funds block and the goal box: each project field (``app.submissions.fields``) as
    typed or stored, by its form name (``budget.executed_wan``)."""

    amount_wan: Decimal | None
    score: BudgetScore | None
    values: dict[str, str]

    def __getattr__(self, name: str) -> str:
        if name != "values" and name in F.BY_NAME:
            return self.values[name]
        raise AttributeError(name)


def form_context(
    *,
    session: Session,
    project: Project,
    user: User,
    entry: E.ProjectEntry | None = None,
    errors: dict[str, str] | None = None,
    conflicts: list[FieldChange] | None = None,
    missing: list[Missing] | None = None,
    notice: str | None = None,
    form_version: int | None = None,
) -> dict[str, Any]:
    """Everything ``project_form.html`` needs. ``entry``: what was just typed (kept on the page
    when a save is refused or partly refused); otherwise the stored values are shown."""
    errors = errors or {}
    view: ScoreView = score_of(session=session, project=project)
    editable = can_write_project(user) and project.status in EDITABLE
    if missing is None and editable and entry is None:
        missing = []  # only listed when the clerk asks to submit
    conflict_map = {c.field: c.before for c in conflicts or []}
    missing_map = {m.field: m.message for m in missing or [] if m.field and m.field not in errors}
    rows = sorted(project.indicators, key=lambda r: r.position)
    scores = view.score.indicators if view.score else [None] * len(rows)
    row_views: dict[int, RowView] = {}
    for ind, scored in zip(rows, scores, strict=True):
        typed = entry.actuals.get(ind.id) if entry else None
        row_views[ind.id] = RowView(
            ind=ind,
            kind=E.input_kind(ind),
            entry=typed if typed is not None else E.stored_entry(ind),
            score=scored,
            errors=_by_prefix(errors, ind.id),
            conflicts=_by_prefix(conflict_map, ind.id),
            missing=_by_prefix(missing_map, ind.id),
        )

    def pick(name: str, stored: str) -> str:
        typed = getattr(entry, name, None) if entry else None
        return typed if typed is not None else stored

    budget = BudgetView(
        amount_wan=project.amount_wan,
        score=view.score.budget if view.score else None,
        values={f.name: pick(f.name, f.kind.shown(getattr(project, f.column))) for f in F.PROJECT_FIELDS},
    )
    reasons_by_name: dict[str, str] = {}
    for rv in row_views.values():
        if rv.entry.reason.strip():
            reasons_by_name[rv.ind.name] = rv.entry.reason
    warnings = [
        (w.indicator, explained(w.message, reasons_by_name.get(w.indicator or "")))
        for w in (view.score.warnings if view.score else [])
    ]
    comments = queries.return_comments(session=session, project_ids=[project.id])
    row = queries.project_row(session=session, project=project, comment=comments.get(project.id), view=view)
    return {
        "project": project,
        "row": row,
        "view": view,
        "groups": group_indicators(list(project.indicators)),
        "rows": row_views,
        "warnings": warnings,
        "budget": budget,
        "errors": errors,
        "project_errors": {k: v for k, v in errors.items() if k in E.PROJECT_FIELDS},
        "error_list": [(k, E.field_label(k), v, _row_name(k, row_views)) for k, v in errors.items()],
        "conflicts": conflicts or [],
        "conflict_map": conflict_map,
        "missing": missing or [],
        "missing_map": missing_map,
        "notice": notice,
        "editable": editable,
        "can_write": can_write_project(user),
        "version": form_version if form_version is not None else project.version,
        "loaded": loaded_token(project),
        "merge_fields": (LOADED_FIELD, KEEP_PREFIX),
        "history": queries.history(session=session, project_id=project.id),
        "status_labels": STATUS_LABELS,
        "grade_choices": GRADE_CHOICES,
        "operators": OPERATORS,
        "field_labels": E.FIELD_LABELS,
        "amount_fields": [f for f in F.PROJECT_FIELDS if f.is_amount],
    }


def _by_prefix(items: dict[str, str], ind_id: int) -> dict[str, str]:
    out = {}
    suffix = f"-{ind_id}"
    for key, value in items.items():
        if key.endswith(suffix):
            prefix = key[: -len(suffix)]
            if prefix in E.FIELD_LABELS:
                out[prefix] = value
    return out


def _row_name(key: str, rows: dict[int, RowView]) -> str:
    _, _, ident = key.partition("-")
    row = rows.get(parse_id(ident) or 0)
    if row is not None:
        return row.ind.name
    return ""
