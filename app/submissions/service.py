"""Saving actuals and budget execution, and submitting a project.

``save_entry`` is the one way figures land, whatever they came from (form, API, workbook):

1. the project must be editable (填报中 / 已退回, else 409) and the caller's ``version`` must be the
   stored one (else :class:`StaleVersion`, 409, listing what differs from what is stored);
2. ``prepare_entry`` validates every changed field (``app.submissions.entries``, docs/scoring-rules.md §4a;
   a hand-set qualitative score must lie in its band, §5) and plans the changes;
3. ``atomic`` (API, workbook): any error refuses the whole save (422) before anything is written;
   otherwise (the web form) the valid fields are written and the errors returned for the page;
4. ``apply_plan`` writes the changes with one audit row per field group (before → after) and bumps
   ``Project.version``. ``version_id_col`` makes the UPDATE say ``WHERE version = <the one we
   checked>``, so a concurrent save that slipped in between is refused (StaleDataError → 409)
   rather than overwritten.

Services only flush; the request/CLI boundary commits, so a failure anywhere leaves nothing
half-written.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.audit import (
    AUDIT_ACTION_LABELS,
    AUDIT_FIELD_LABELS,
    AUDIT_VALUE_LABELS,
    Actor,
    record_audit,
)
from app.core.errors import Conflict, ErrorItem, Unprocessable
from app.db.models import AuditLog, Indicator, IndicatorActual, Project
from app.scoring import service as scoring
from app.scoring.actuals import GRADE_LABELS
from app.scoring.engine import Budget, ProjectScore, ScoringError
from app.scoring.input_kinds import EntryRules, execution_refusal
from app.scoring.policy import Policy
from app.submissions import entries as E
from app.submissions import fields as F
from app.submissions.status import change_status, ensure_editable

AUDIT_ACTION_LABELS.update(
    {
        "actual.create": "填报实际完成值",
        "actual.update": "修改实际完成值",
        "actual.delete": "清空实际完成值",
        "project.entry": "修改预算执行及目标完成情况",
    }
)
AUDIT_FIELD_LABELS.update(F.AUDIT_LABELS)
AUDIT_VALUE_LABELS.setdefault("grade", dict(GRADE_LABELS))
AUDIT_ACTION_LABELS.setdefault("project.status", "项目状态变更")

ENTRY_ACTIONS = ("actual.create", "actual.update", "actual.delete", "project.entry")
# ProjectEntry field → Project column.
PROJECT_COLUMNS = {f.name: f.column for f in F.PROJECT_FIELDS}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that a save changes (or that differs from what is stored)."""

    field: str  # form field name, also the anchor on the page
    label: str  # 指标名 · 实际完成值
    before: str
    after: str

    def item(self, code: str = "changed_meanwhile") -> ErrorItem:
        return ErrorItem(
            f"{self.label}：当前已保存“{self.before or '（空）'}”，您提交“{self.after or '（空）'}”",
            code,
            E.api_loc(self.field),
        )


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    label: str
    message: str
    code: str

    def item(self) -> ErrorItem:
        return ErrorItem(f"{self.label}：{self.message}", self.code, E.api_loc(self.field))


@dataclass(slots=True)
class EntryPlan:
    """What a save would do: changes to write and errors found, nothing written yet."""

    project: Project
    changes: list[FieldChange] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    project_updates: dict[str, Any] = field(default_factory=dict)  # column → value
    actual_updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # indicator id → columns

    @property
    def has_changes(self) -> bool:
        return bool(self.project_updates or self.actual_updates)

    def error_map(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


class StaleVersion(Conflict):
    """409: the project changed since the caller read it (a lost update refused)."""

    code = "stale_version"

    def __init__(
        self, project: Project, sent: int | None, changes: list[FieldChange], last_saved: str | None
    ) -> None:
        message = (
            f"保存未成功：您打开此项目后，它已被修改（您打开时为第 {sent} 版，现为第 {project.version} 版"
            + (f"，{last_saved}" if last_saved else "")
            + "）。您填写的内容仍保留在页面上，请核对下列差异后再保存。"
        )
        items = [ErrorItem(message, self.code, ("version",))] + [c.item() for c in changes]
        super().__init__(message, errors=items)
        self.project = project
        self.sent = sent
        self.current = project.version
        self.changes = changes
        self.last_saved = last_saved


@dataclass(frozen=True, slots=True)
class Missing:
    """Something that keeps a project from being submitted, with the field to fix (anchor)."""

    field: str  # "" when no single field is at fault
    label: str
    message: str
    code: str

    def item(self) -> ErrorItem:
        loc = E.api_loc(self.field) if self.field else ()
        return ErrorItem(f"{self.label}：{self.message}" if self.label else self.message, self.code, loc)


# ------------------------------------------------------------------------------ labels and lookup


def indicator_label(ind: Indicator, name: str) -> str:
    return f"{ind.name} · {E.field_label(name)}"


def _indicators(project: Project) -> list[Indicator]:
    return sorted(project.indicators, key=lambda r: r.position)


# ------------------------------------------------------------------------------ planning


def prepare_entry(*, session: Session, project: Project, entry: E.ProjectEntry) -> EntryPlan:
    """Validate ``entry`` against the stored project and plan its changes (nothing is written)."""
    plan = EntryPlan(project)
    rules = EntryRules.of(scoring.policy_for_year(session=session, year=project.year).settings)
    for f in F.PROJECT_FIELDS:
        text = getattr(entry, f.name)
        if text is None:
            continue
        old = getattr(project, f.column)
        try:
            new = f.kind.read(f.name, text)
        except E.EntryError as exc:
            plan.errors.append(FieldError(f.name, f.label, exc.message, exc.code))
            continue
        if new != old:
            plan.project_updates[f.column] = new
            plan.changes.append(FieldChange(f.name, f.label, f.kind.shown(old), f.kind.shown(new)))
    _check_execution(plan, rules)

    by_id = {ind.id: ind for ind in project.indicators}
    adjusted = scoring.target_adjustments_for(session=session, project_id=project.id) if entry.actuals else {}
    for ind_id, typed in entry.actuals.items():
        ind = by_id.get(ind_id)
        if ind is None:
            plan.errors.append(
                FieldError(f"a-{ind_id}", f"指标 {ind_id}", "该指标不属于此项目", "unknown_indicator")
            )
            continue
        old_entry, old_cols = E.stored_entry(ind), E.stored_columns(ind)
        new_cols = dict(old_cols)
        if E.value_key(ind, typed) != E.value_key(ind, old_entry):
            try:
                target, direction = scoring.effective_target(ind, adjusted.get(ind.id))
                new_cols.update(
                    E.read_value(ind, target, typed, year=project.year, direction=direction, rules=rules)
                )
            except E.EntryError as exc:
                plan.errors.append(
                    FieldError(exc.field, indicator_label(ind, exc.field), exc.message, exc.code)
                )
            else:
                plan.changes.append(
                    FieldChange(
                        E.primary_field(ind),
                        indicator_label(ind, "a"),
                        E.display_value(ind, old_entry),
                        E.display_value(ind, typed),
                    )
                )
        for prefix, column in (("nr", "na_reason"), ("r", "reason")):
            name = f"{prefix}-{ind_id}"
            text = typed.na_reason if prefix == "nr" else typed.reason
            try:
                new = E.read_text(name, text)
            except E.EntryError as exc:
                plan.errors.append(FieldError(name, indicator_label(ind, name), exc.message, exc.code))
                continue
            if new != old_cols[column]:
                new_cols[column] = new
                plan.changes.append(
                    FieldChange(name, indicator_label(ind, name), old_cols[column] or "", new or "")
                )
        if new_cols != old_cols:
            plan.actual_updates[ind_id] = new_cols
    _check_bands(session, plan)
    return plan


def _check_execution(plan: EntryPlan, rules: EntryRules) -> None:
    """全年执行数 above 全年预算数 is refused (``execution_above_budget = refuse``) when this save
    sets either figure; the executed figure is then not written."""
    updates, project = plan.project_updates, plan.project
    if not {"full_year_budget_wan", "executed_wan"} & set(updates):
        return
    refusal = execution_refusal(
        updates.get("full_year_budget_wan", project.full_year_budget_wan),
        updates.get("executed_wan", project.executed_wan),
        rules,
    )
    if refusal is None:
        return
    name = "executed_wan" if "executed_wan" in updates else "full_year_wan"
    del updates[PROJECT_COLUMNS[name]]
    plan.changes = [c for c in plan.changes if c.field != name]
    plan.errors.append(FieldError(name, E.field_label(name), refusal.message, refusal.code))


def _candidate_case(session: Session, plan: EntryPlan) -> scoring.ProjectCase:
    """The project's engine inputs as they would be after ``plan`` (nothing written)."""
    project = plan.project
    case = scoring.project_case(session=session, project=project)
    for n, row in enumerate(case.rows):
        cols = plan.actual_updates.get(row.id)
        if cols is not None:
            shim = SimpleNamespace(actual=SimpleNamespace(**cols), direction=row.direction)
            case.actuals[n] = scoring.engine_actual(shim, case.indicators[n].direction)  # type: ignore[arg-type]
    updates = plan.project_updates
    case.budget = Budget(
        full_year_wan=updates.get("full_year_budget_wan", project.full_year_budget_wan),
        executed_wan=updates.get("executed_wan", project.executed_wan),
        points=project.budget_points,
    )
    return case


def _check_bands(session: Session, plan: EntryPlan) -> None:
    """§5: a hand-set qualitative score must lie in its grade's band of the indicator's points —
    which depend on the whole project (不适用 re-splits a level), so the engine decides."""
    hand_set = [i for i, cols in plan.actual_updates.items() if cols.get("manual_score") is not None]
    if not hand_set:
        return
    case = _candidate_case(session, plan)
    try:
        result = case.score()
    except ScoringError:
        return  # the project as a whole cannot be scored; the page says why
    for row, scored in zip(case.rows, result.indicators, strict=True):
        if row.id in hand_set and "invalid_actual" in scored.flags and scored.error:
            name = f"s-{row.id}"
            plan.errors.append(
                FieldError(name, indicator_label(row, name), scored.error, "score_out_of_band")
            )
            old = E.stored_columns(row)
            cols = plan.actual_updates[row.id]
            for column in E.VALUE_COLUMNS:
                cols[column] = old[column]
            plan.changes = [c for c in plan.changes if c.field != E.primary_field(row)]
            if cols == old:
                del plan.actual_updates[row.id]


def preview_entry(
    *, session: Session, project: Project, entry: E.ProjectEntry
) -> tuple[ScoreView, EntryPlan]:
    """The score the project would have with ``entry`` saved (its valid fields), and the plan with
    its errors — for recomputing while a clerk types. Nothing is written."""
    plan = prepare_entry(session=session, project=project, entry=entry)
    return candidate_view(session, plan), plan


def candidate_view(session: Session, plan: EntryPlan) -> ScoreView:
    """The score the project would have with ``plan`` written (nothing is written)."""
    try:
        return ScoreView(_candidate_case(session, plan).score())
    except ScoringError as exc:
        return ScoreView(None, str(exc))


def missing_after(*, session: Session, plan: EntryPlan) -> list[Missing]:
    """What would still keep the project from being submitted once ``plan`` is written — the
    list ``missing_items`` gives the form, for an upload's preview. Fields ``plan`` refuses are
    left out (their error says what is wrong). Nothing is written."""
    project = plan.project
    updates = plan.project_updates

    def indicator(ind: Indicator) -> Any:
        cols = plan.actual_updates.get(ind.id)
        if cols is None:
            return ind
        actual = SimpleNamespace(**cols) if any(cols[c] for c in E.ACTUAL_COLUMNS) else None
        return SimpleNamespace(id=ind.id, name=ind.name, position=ind.position, direction=ind.direction,
                               actual=actual)  # fmt: skip

    after = SimpleNamespace(
        **{c: updates.get(c, getattr(project, c)) for c in F.ENTRY_COLUMNS},
        indicators=[indicator(ind) for ind in project.indicators],
    )
    refused = plan.error_map()
    view = candidate_view(session, plan)
    return [m for m in missing_items(after, view) if m.field not in refused]  # type: ignore[arg-type]


def differences(*, project: Project, entry: E.ProjectEntry) -> list[FieldChange]:
    """Fields where ``entry`` differs from what is stored (before = stored, after = sent), read
    leniently: an unreadable input counts as different."""
    out: list[FieldChange] = []
    for f in F.PROJECT_FIELDS:
        text = getattr(entry, f.name)
        if text is None:
            continue
        old = getattr(project, f.column)
        try:
            new = f.kind.read(f.name, text)
        except E.EntryError:
            new = text
        if new != old:
            out.append(FieldChange(f.name, f.label, f.kind.shown(old), text.strip()))
    for ind in _indicators(project):
        typed = entry.actuals.get(ind.id)
        if typed is None:
            continue
        old = E.stored_entry(ind)
        if E.value_key(ind, typed) != E.value_key(ind, old):
            out.append(
                FieldChange(
                    E.primary_field(ind),
                    indicator_label(ind, "a"),
                    E.display_value(ind, old),
                    E.display_value(ind, typed),
                )
            )
        for prefix, attr in (("nr", "na_reason"), ("r", "reason")):
            if (getattr(typed, attr) or "").strip() != getattr(old, attr):
                name = f"{prefix}-{ind.id}"
                out.append(
                    FieldChange(
                        name, indicator_label(ind, name), getattr(old, attr), getattr(typed, attr).strip()
                    )
                )
    return out


def last_saved(*, session: Session, project: Project) -> str | None:
    """``由 zhang 于 2024-01-15 10:20 保存`` from the newest entry audit row of the project."""
    from app.accounts.audit import actor_label, as_local

    ids = [str(i.id) for i in project.indicators]
    cond = (AuditLog.entity == "project") & (AuditLog.entity_id == str(project.id))
    if ids:
        cond = or_(cond, (AuditLog.entity == "indicator") & AuditLog.entity_id.in_(ids))
    row = session.scalar(
        select(AuditLog)
        .where(AuditLog.action.in_(ENTRY_ACTIONS), cond)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return f"最近由 {actor_label(row.actor_name)} 于 {as_local(row.at):%Y-%m-%d %H:%M} 保存"


def check_version(*, session: Session, project: Project, entry: E.ProjectEntry) -> None:
    """The explicit compare of the caller's version with the stored one (409 with what differs)."""
    if entry.version is None:
        raise Unprocessable("缺少项目版本号（version）", code="missing_version", loc=("version",))
    if entry.version != project.version:
        raise StaleVersion(
            project,
            entry.version,
            differences(project=project, entry=entry),
            last_saved(session=session, project=project),
        )


# ------------------------------------------------------------------------------ writing


def apply_plan(*, session: Session, plan: EntryPlan, actor: Actor, address: str | None = None) -> None:
    """Write the planned changes with their audit rows and bump the project's version."""
    if not plan.has_changes:
        return
    project = plan.project
    checked = project.version
    # Touching the row makes the ORM issue UPDATE … SET version = v + 1 WHERE id = ? AND version = v
    # now, first: a concurrent save is then refused here, before anything else is written.
    project.updated_at = datetime.now(UTC)
    before = {c: getattr(project, c) for c in plan.project_updates}
    for column, value in plan.project_updates.items():
        setattr(project, column, value)
    _flush(session, project, checked)
    if plan.project_updates:
        record_audit(
            session=session,
            actor=actor,
            action="project.entry",
            entity="project",
            entity_id=project.id,
            entity_name=project.name,
            before=before,
            after=dict(plan.project_updates),
            address=address,
        )
    by_id = {ind.id: ind for ind in project.indicators}
    for ind_id, cols in plan.actual_updates.items():
        ind = by_id[ind_id]
        row = ind.actual
        old = E.stored_columns(ind)
        empty = not any(cols[c] for c in E.ACTUAL_COLUMNS)
        if row is None:
            if empty:
                continue
            row = IndicatorActual(indicator_id=ind.id, **cols)
            ind.actual = row
            session.add(row)
            action, audit_before = "actual.create", None
        elif empty:
            ind.actual = None  # delete-orphan
            session.delete(row)
            action, audit_before = "actual.delete", _changed(old, cols, old)
        else:
            for column, value in cols.items():
                setattr(row, column, value)
            action, audit_before = "actual.update", _changed(old, cols, old)
        record_audit(
            session=session,
            actor=actor,
            action=action,
            entity="indicator",
            entity_id=ind.id,
            entity_name=f"{project.name} · {ind.name}",
            before=audit_before,
            after=None if action == "actual.delete" else _changed(old, cols, cols),
            address=address,
            flush=False,  # one flush below: the rows go out together
        )
    _flush(session, project, checked)


def _changed(before: dict[str, Any], after: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    return {c: source[c] for c in E.ACTUAL_COLUMNS if before[c] != after[c]}


def _flush(session: Session, project: Project, checked: int) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise _stale(checked) from None


def _stale(checked: int) -> Conflict:
    return Conflict(
        f"保存未成功：项目刚刚被他人修改（第 {checked} 版已不是最新），请刷新页面后重试",
        code="stale_version",
        loc=("version",),
    )


def save_entry(
    *,
    session: Session,
    project: Project,
    entry: E.ProjectEntry,
    actor: Actor,
    atomic: bool,
    address: str | None = None,
) -> EntryPlan:
    """Check, validate and write one save of a project (see the module docstring).

    ``atomic``: refuse the whole save on any error (Unprocessable, 422, one item per field with
    the indicator id in ``loc``). Otherwise valid fields are written and the plan's ``errors``
    returned. Raises Conflict (409) when the project is not editable or the version is stale.
    """
    ensure_editable(project)
    check_version(session=session, project=project, entry=entry)
    plan = prepare_entry(session=session, project=project, entry=entry)
    if atomic and plan.errors:
        raise Unprocessable(
            f"有 {len(plan.errors)} 处填写有误，未保存任何内容",
            code="invalid_entry",
            errors=[e.item() for e in plan.errors],
        )
    apply_plan(session=session, plan=plan, actor=actor, address=address)
    if plan.has_changes:
        save_snapshot(session=session, project=project, actor=actor)
    return plan


def save_snapshot(*, session: Session, project: Project, actor: Actor, reason: str = "save") -> None:
    """Keep the score as saved (app.scoring.snapshots; unchanged inputs store nothing new)."""
    with suppress(ScoringError):  # a project that cannot be scored as a whole has no snapshot
        scoring.save_snapshot(session=session, project=project, actor=actor, reason=reason)


# ------------------------------------------------------------------------------ scoring, submission


@dataclass(slots=True)
class ScoreView:
    """The live score of a project, or why there is none."""

    score: ProjectScore | None
    error: str | None = None

    @property
    def total(self) -> Decimal | None:
        return self.score.total if self.score else None

    @property
    def grade(self) -> str | None:
        return self.score.grade if self.score else None

    @property
    def provisional(self) -> Decimal | None:
        """Points earned so far (scored indicators + budget), shown while the total is incomplete."""
        if self.score is None:
            return None
        parts = [r.final_score for r in self.score.indicators if r.final_score is not None]
        if self.score.budget is not None and self.score.budget.score is not None:
            parts.append(self.score.budget.score)
        return sum(parts, Decimal("0.00")) if parts else None


def score_of(*, session: Session, project: Project, policy: Policy | None = None) -> ScoreView:
    """The live score (``policy``: the year's, looked up when not given)."""
    try:
        return ScoreView(scoring.compute_project_score(session=session, project=project, policy=policy))
    except ScoringError as exc:
        return ScoreView(None, str(exc))


def missing_items(project: Project, view: ScoreView) -> list[Missing]:
    """What keeps the project from being submitted (§2, §7, §9, the 不适用 reason, the goal box),
    in the order of the form, each with the field to fix."""
    out: list[Missing] = []
    score = view.score
    if score is None:
        return [Missing("", "", view.error or "项目无法评分", "scoring_error")]
    budget = score.budget
    if budget is not None and budget.error:
        name = (
            "full_year_wan" if budget.full_year_wan is None or budget.full_year_wan <= 0 else "executed_wan"
        )
        out.append(Missing(name, E.field_label(name), budget.error, "budget_missing"))
    elif budget is not None and budget.reason_required and not project.budget_reason:
        out.append(
            Missing(
                "budget_reason",
                E.field_label("budget_reason"),
                f"预算执行率 {budget.rate * 100:.2f}% 低于 100%，请说明原因",
                "reason_required",
            )
        )
    for f in F.PROJECT_FIELDS:
        if f.required and not f.kind.shown(getattr(project, f.column)).strip():
            out.append(Missing(f.name, f.label, "未填写", f.required))
    for ind, r in zip(_indicators(project), score.indicators, strict=True):
        a = ind.actual
        if a is not None and a.not_applicable:
            if not a.na_reason:
                name = f"nr-{ind.id}"
                out.append(
                    Missing(name, indicator_label(ind, name), "选择不适用时须说明理由", "na_reason_missing")
                )
            continue
        if r.error is not None:
            code = r.flags[0] if r.flags else "invalid_actual"
            name = E.primary_field(ind)
            if code == "invalid_actual" and a is not None and a.manual_score is not None:
                name = f"s-{ind.id}"
            message = "未填写" if code == "missing_actual" else r.error
            if code == "missing_baseline" or (code == "missing_actual" and E.shape(ind).has_baseline):
                message = r.error
                name = f"b-{ind.id}" if a is None or a.baseline is None else f"a-{ind.id}"
            out.append(
                Missing(name, indicator_label(ind, "a" if name.startswith("a-") else name), message, code)
            )
        elif r.reason_required and not (a and a.reason):
            name = f"r-{ind.id}"
            if "overachieved" in r.flags:
                why = "超额完成较多"
            elif "share_over_100" in r.flags:
                why = "比率超过 100%"
            else:
                why = f"得分 {r.final_score} 低于分值 {r.points}"
            out.append(Missing(name, indicator_label(ind, name), f"{why}，须填写", "reason_required"))
    return out


def submit_project(
    *, session: Session, project: Project, actor: Actor, address: str | None = None
) -> ScoreView:
    """填报中 / 已退回 → 已提交, when nothing is missing (else 422 listing every item)."""
    ensure_editable(project)
    view = score_of(session=session, project=project)
    missing = missing_items(project, view)
    if missing:
        raise Unprocessable(
            f"还有 {len(missing)} 项未完成，不能提交", code="incomplete", errors=[m.item() for m in missing]
        )
    checked = project.version
    try:
        change_status(session=session, project=project, to="submitted", actor=actor, address=address)
    except StaleDataError:
        raise _stale(checked) from None
    save_snapshot(session=session, project=project, actor=actor, reason="submit")
    return view
