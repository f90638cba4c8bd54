"""Import a parsed 绩效目标表 into the database.

Rules:
- a table lands whole or not at all (the caller's transaction; this module only adds/flushes);
- indicators are matched on a stable key (year + unit code + project name + level 2 + name, with an
  occurrence number for a name repeated in one level 2), never on row order;
- re-importing the same table changes nothing and says so;
- a changed target is updated where no actual exists yet; where one does, the import is refused
  naming the indicators, unless ``force_targets`` — then the actual is kept and the change recorded.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.audit import Actor, record_audit
from app.db.models import ImportBatch, Indicator, IndicatorActual, Project, Unit
from app.targets.types import ParsedIndicator, ParsedProject, ParsedTable, ParseWarning, decimal_str

# Target fields compared on re-import, in display order.
TARGET_FIELDS = (
    "level1",
    "raw",
    "kind",
    "operator",
    "value",
    "unit",
    "expected",
    "deadline",
    "reference",
    "direction",
    "points",
)


class ImportRefused(Exception):
    """The table cannot be imported as it stands (message in Chinese, with the details)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []

    def __str__(self) -> str:
        return "\n".join([self.args[0], *(f"  - {d}" for d in self.details)])


@dataclass
class ImportResult:
    batch: ImportBatch
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.batch.outcome


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_table(
    *, session: Session, table: ParsedTable, source_name: str, sha256: str, force_targets: bool = False
) -> ImportResult:
    """Create or update units, projects and indicators from ``table``; record an ImportBatch."""
    if table.year is None:
        raise ImportRefused("无法确定预算年度：标题中没有“YYYY年”，请在标题中注明年度。")
    if not table.projects:
        raise ImportRefused("表中没有读到任何项目。")

    batch = ImportBatch(source_name=source_name, sha256=sha256, year=table.year, outcome="unchanged")
    result = ImportResult(batch=batch)
    units = _upsert_units(session, table, result)
    for parsed in table.projects:
        if parsed.unit_code not in units:
            raise ImportRefused(
                f"项目 {parsed.seq}「{parsed.name}」所属单位编码 {parsed.unit_code} 未在表中列出。"
            )
    # Bulk: the stored projects of the table in one query (indicators and actuals in two more);
    # new projects are inserted together at the end, their indicators in one multi-row INSERT.
    stored = _stored_projects(session, table.year, table.projects, units)
    new: dict[tuple[int, str], ParsedProject] = {}
    conflicts: list[str] = []
    for parsed in table.projects:
        unit = units[parsed.unit_code]
        key = (unit.id, parsed.name)
        if key in new:  # the same project twice in one table: the later row wins, as on re-import
            _insert_projects(session, table.year, new, result)
            new.clear()
            stored[key] = _load_project(session, table.year, unit.id, parsed.name)
        project = stored.get(key)
        if project is None:
            new[key] = parsed
            continue
        _update_project(project, parsed, result)
        conflicts += _sync_indicators(session, project, parsed, result, force_targets)
    if conflicts:
        raise ImportRefused(
            "以下指标已填报实际完成值，目标值的修改未导入（如确需修改，请加 --force-targets，实际值将保留并记录修改）：",
            conflicts,
        )
    _insert_projects(session, table.year, new, result)

    if not (result.created or result.updated or result.removed):
        batch.outcome = "unchanged"
    elif result.created["projects"] == len(table.projects):
        batch.outcome = "created"
    else:
        batch.outcome = "updated"
    batch.counts = {
        "units": len(table.units),
        "projects": len(table.projects),
        "indicators": sum(len(p.indicators) for p in table.projects),
        "created": dict(result.created),
        "updated": dict(result.updated),
        "removed": dict(result.removed),
    }
    batch.warnings = [w.to_json() for w in table_warnings(session=session, table=table)]
    batch.changes = result.changes
    session.add(batch)
    session.flush()
    return result


def table_warnings(*, session: Session, table: ParsedTable) -> list[ParseWarning]:
    """The reader's warnings and how the table's printed points fit the year's scoring policy
    (scoring rules §1) — what the preview shows and the import batch keeps."""
    from app.scoring.engine import points_warnings
    from app.scoring.policies import policy_for_year

    if table.year is None:
        return list(table.warnings)
    return [*table.warnings, *points_warnings(table, policy_for_year(session=session, year=table.year))]


def _upsert_units(session: Session, table: ParsedTable, result: ImportResult) -> dict[str, Unit]:
    codes = {u.code for u in table.units} | {p.unit_code for p in table.projects}
    existing = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    for parsed in table.units:  # parents come before children in published tables
        unit = existing.get(parsed.code)
        if unit is None:
            unit = Unit(code=parsed.code, name=parsed.name)
            session.add(unit)
            existing[parsed.code] = unit
            result.created["units"] += 1
        elif unit.name != parsed.name:
            unit.name = parsed.name
            result.updated["units"] += 1
        if parsed.parent_code:
            parent = existing.get(parsed.parent_code) or session.scalar(
                select(Unit).where(Unit.code == parsed.parent_code)
            )
            unit.parent = parent
    session.flush()
    return existing


def _stored_projects(
    session: Session, year: int, parsed: list[ParsedProject], units: dict[str, Unit]
) -> dict[tuple[int, str], Project]:
    """The table's projects already stored, by (unit id, name), with indicators and actuals."""
    unit_ids = {units[p.unit_code].id for p in parsed}
    names = {p.name for p in parsed}
    stmt = (
        select(Project)
        .where(Project.year == year, Project.unit_id.in_(unit_ids), Project.name.in_(names))
        .options(selectinload(Project.indicators).selectinload(Indicator.actual))
    )
    return {(p.unit_id, p.name): p for p in session.scalars(stmt)}


def _load_project(session: Session, year: int, unit_id: int, name: str) -> Project | None:
    return session.scalar(
        select(Project)
        .where(Project.year == year, Project.unit_id == unit_id, Project.name == name)
        .options(selectinload(Project.indicators).selectinload(Indicator.actual))
    )


def _insert_projects(
    session: Session, year: int, new: dict[tuple[int, str], ParsedProject], result: ImportResult
) -> None:
    """Insert new projects (one multi-row INSERT … RETURNING id) and their indicators (one more)."""
    if not new:
        return
    rows = [
        {
            "year": year,
            "unit_id": unit_id,
            "seq": p.seq,
            "name": p.name,
            "amount_wan": p.amount_wan,
            "goals": list(p.goals),
            "budget_points": p.budget_points,
            "status": "draft",
            "version": 1,
        }
        for (unit_id, _), p in new.items()
    ]
    ids = session.scalars(insert(Project).returning(Project.id, sort_by_parameter_order=True), rows).all()
    indicators = []
    for project_id, parsed in zip(ids, new.values(), strict=True):
        seen: Counter[tuple[str, str]] = Counter()
        for position, ind in enumerate(parsed.indicators, start=1):
            seen[(ind.level2, ind.name)] += 1
            indicators.append(
                {
                    "project_id": project_id,
                    "level2": ind.level2,
                    "name": ind.name,
                    "occurrence": seen[(ind.level2, ind.name)],
                    "position": position,
                    **_target_fields(ind),
                }
            )
    if indicators:
        session.execute(insert(Indicator.__table__), indicators)
    result.created["projects"] += len(ids)
    result.created["indicators"] += len(indicators)


def _update_project(project: Project, parsed: ParsedProject, result: ImportResult) -> None:
    stored = (project.seq, _dec(project.amount_wan), list(project.goals or []), _dec(project.budget_points))
    if stored != (parsed.seq, _dec(parsed.amount_wan), list(parsed.goals), _dec(parsed.budget_points)):
        project.seq, project.amount_wan, project.goals = parsed.seq, parsed.amount_wan, list(parsed.goals)
        project.budget_points = parsed.budget_points
        result.updated["projects"] += 1


def _target_fields(ind: ParsedIndicator) -> dict[str, Any]:
    t = ind.target
    return {
        "level1": ind.level1,
        "raw": t.raw,
        "kind": t.kind,
        "operator": t.operator,
        "value": t.value,
        "unit": t.unit,
        "expected": t.expected,
        "deadline": t.deadline,
        "reference": t.reference,
        "direction": ind.direction,
        "points": ind.points,
    }


def _stored_fields(row: Indicator) -> dict[str, Any]:
    return {name: getattr(row, name) for name in TARGET_FIELDS}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return _dec(a) == _dec(b)
    return a == b


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(v).normalize()


def _has_actual(row: Indicator) -> bool:
    a: IndicatorActual | None = row.actual
    if a is None:
        return False
    return any(
        v not in (None, "", False)
        for v in (
            a.raw,
            a.value,
            a.grade,
            a.manual_score,
            a.completed_on,
            a.baseline,
            a.not_applicable,
            a.reason,
        )
    )


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in fields.items():
        if isinstance(v, Decimal):
            v = decimal_str(v)
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        out[k] = v
    return out


def _sync_indicators(
    session: Session, project: Project, parsed: ParsedProject, result: ImportResult, force: bool
) -> list[str]:
    stored = {(r.level2, r.name, r.occurrence): r for r in project.indicators}
    seen: Counter[tuple[str, str]] = Counter()
    conflicts: list[str] = []
    keep: set[tuple[str, str, int]] = set()
    for position, ind in enumerate(parsed.indicators, start=1):
        seen[(ind.level2, ind.name)] += 1
        key = (ind.level2, ind.name, seen[(ind.level2, ind.name)])
        keep.add(key)
        fields = _target_fields(ind)
        row = stored.get(key)
        if row is None:
            project.indicators.append(
                Indicator(level2=ind.level2, name=ind.name, occurrence=key[2], position=position, **fields)
            )
            result.created["indicators"] += 1
            continue
        if row.position != position:
            row.position = position
        before = _stored_fields(row)
        diff = {k for k in TARGET_FIELDS if not _same(before[k], fields[k])}
        if not diff:
            continue
        label = (
            f"项目 {parsed.seq}「{parsed.name}」{ind.level2}「{ind.name}」：{before['raw']} → {fields['raw']}"
        )
        if _has_actual(row) and not force:
            conflicts.append(label)
            continue
        for k in diff:
            setattr(row, k, fields[k])
        result.updated["indicators"] += 1
        result.changes.append(
            {
                "project": parsed.name,
                "level2": ind.level2,
                "indicator": ind.name,
                "before": _jsonable({k: before[k] for k in diff}),
                "after": _jsonable({k: fields[k] for k in diff}),
                "actual_kept": _has_actual(row),
            }
        )
    for key, row in stored.items():
        if key in keep:
            continue
        if _has_actual(row):
            label = f"项目 {parsed.seq}「{parsed.name}」{row.level2}「{row.name}」已不在表中，但已有实际值"
            if not force:
                conflicts.append(label)
            else:
                result.changes.append(
                    {
                        "project": parsed.name,
                        "level2": row.level2,
                        "indicator": row.name,
                        "before": {"raw": row.raw},
                        "after": None,
                        "actual_kept": True,
                        "note": "表中已无此指标，因已有实际值而保留",
                    }
                )
            continue
        project.indicators.remove(row)
        result.removed["indicators"] += 1
    return conflicts


def audit_import(
    *,
    session: Session,
    result: ImportResult,
    source_name: str,
    actor: Actor,
    force_targets: bool,
    counts: dict[str, str] | None = None,
    address: str | None = None,
) -> None:
    """The audit row of an import that landed (``targets.import``), from the CLI or an upload."""
    batch = result.batch
    record_audit(
        session=session,
        actor=actor,
        action="targets.import",
        entity="import",
        entity_id=batch.id,
        entity_name=source_name,
        before=None,
        after={
            "file": source_name,
            "sha256": batch.sha256,
            "year": batch.year,
            "outcome": batch.outcome,
            "projects": batch.counts["projects"],
            "indicators": batch.counts["indicators"],
            **(counts or {}),
            "target_changes": len(result.changes),
            "warnings": len(batch.warnings),
            "force_targets": force_targets,
        },
        address=address,
    )
