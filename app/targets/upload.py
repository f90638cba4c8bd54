"""Upload a 绩效目标表 through the web: store it, preview what it would do, then import or cancel.

The rules are those of ``jixiao import`` because the work is done by the same
function, :func:`app.targets.service.import_table`:

- **preview** (:func:`preview_upload`) runs the import inside a SAVEPOINT and rolls it back, reading
  the affected units, projects and indicators before and after, so what the clerk sees is what
  the import does — nothing is saved;
- **confirm** (:func:`confirm_upload`) re-reads the stored bytes, checks their SHA-256, runs the same
  import in a SAVEPOINT and keeps it only when it does exactly what the confirmed preview showed
  (its fingerprint); an audit row ``targets.import`` and the ImportBatch commit with it;
- a file waits in :class:`~app.db.models.PendingUpload` (several workers share no memory), bound to
  its uploader by a random token, until it is confirmed, cancelled or expires.

Services add and flush only; the request commits once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from app.accounts.audit import AUDIT_ACTION_LABELS, AUDIT_FIELD_LABELS, AUDIT_VALUE_LABELS
from app.core.errors import AppError, Conflict, ErrorItem, NotFound, Unprocessable
from app.db.models import AuditLog, ImportBatch, PendingUpload, Project, Unit, User
from app.targets.service import (
    TARGET_FIELDS,
    ImportRefused,
    ImportResult,
    audit_import,
    import_table,
    sha256_of,
    table_warnings,
)
from app.targets.types import ParsedTable, TableFormatError, decimal_str

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PENDING_TTL = timedelta(hours=2)
FORMAT_LABELS = {
    "auto": "自动识别",
    "xlsx": "Excel 工作簿（.xlsx）",
    "csv": "CSV（UTF-8 或 GBK）",
    "html": "网页表格（.html）",
    "text": "公开表文本（.txt）",
}
ACCEPT = ".xlsx,.xlsm,.csv,.html,.htm,.txt,.tsv"
OUTCOME_LABELS = {"created": "新建", "updated": "更新", "unchanged": "未变化"}
COUNT_LABELS = {"units": "单位", "projects": "项目", "indicators": "指标"}
FIELD_LABELS = {
    "level1": "一级指标",
    "raw": "指标值",
    "kind": "类型",
    "operator": "符号",
    "value": "数值",
    "unit": "计量单位",
    "expected": "定性目标",
    "deadline": "完成时限",
    "reference": "参照",
    "direction": "方向",
    "points": "分值",
}
NOT_FOUND = "该上传不存在、已过期，或已导入、已取消。请重新上传文件。"
IMPORT_ACTION = "targets.import"

AUDIT_ACTION_LABELS.setdefault(IMPORT_ACTION, "导入绩效目标表")
for _key, _label in {
    "file": "文件",
    "sha256": "SHA-256",
    "year": "年度",
    "outcome": "结果",
    "projects": "项目数",
    "indicators": "指标数",
    "created": "新建",
    "updated": "更新",
    "removed": "删除",
    "target_changes": "目标值修改",
    "warnings": "警告",
    "force_targets": "强制更新目标值",
}.items():
    AUDIT_FIELD_LABELS.setdefault(_key, _label)
AUDIT_VALUE_LABELS.setdefault("outcome", OUTCOME_LABELS)


class UploadRejected(Unprocessable):
    """The file cannot be taken (empty, too large, unreadable, wrong columns …); Chinese message
    for the form ``field`` (the API answers 422 with ``loc`` ``[field]``)."""

    code = "invalid_file"

    def __init__(self, message: str, field: str = "file", *, code: str | None = None) -> None:
        super().__init__(message, code=code, loc=(field,))
        self.field = field


class ConfirmRefused(Conflict):
    """A confirmation that was not carried out (nothing saved); the page shows the preview again,
    the API answers 409 with ``loc`` (the request field that no longer fits) and the details."""

    code = "confirm_refused"

    def __init__(
        self, message: str, *, code: str | None = None, field: str = "fingerprint", details: list[str] = ()
    ) -> None:
        items = [ErrorItem(message, code or self.code, (field,))]
        items += [ErrorItem(d, code or self.code, (field,)) for d in details]
        super().__init__(message, code=code, loc=(field,), errors=items)
        self.details = list(details)


# ---------------------------------------------------------------- reading and storing


def now_utc() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite returns naive UTC


def parse_upload(data: bytes, *, filename: str, format: str = "auto") -> ParsedTable:
    """Parse uploaded bytes, or raise :class:`UploadRejected` with the reader's Chinese message."""
    from app.targets.formats import FORMATS
    from app.targets.readers import read_table_bytes

    if format not in FORMATS:
        raise UploadRejected("请选择列表中的文件格式。", field="format", code="unknown_format")
    if not data:
        raise UploadRejected("文件是空的（0 字节），请选择填好的绩效目标表。", code="empty_file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(f"文件过大：上限为 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB。", code="too_large")
    try:
        return read_table_bytes(data, filename=filename, format=format)
    except TableFormatError as exc:
        raise UploadRejected(str(exc), code="unreadable_file") from None
    except Exception:  # a reader bug must not become a 500 on a clerk's file
        log.exception("reading uploaded table %r failed", filename)
        raise UploadRejected("无法读取该文件：内容不是可识别的绩效目标表。", code="unreadable_file") from None


def clean_filename(filename: str | None) -> str:
    """The base name of an uploaded path, without control characters, at most 200 characters."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if unicodedata.category(c)[0] != "C")[:200] or "上传的文件"


def store_upload(
    *,
    session: Session,
    user: User,
    data: bytes,
    filename: str,
    format: str = "auto",
    force_targets: bool = False,
    now: datetime | None = None,
) -> PendingUpload:
    """Check that ``data`` parses, then keep it for the preview. Raises :class:`UploadRejected`."""
    filename = clean_filename(filename)
    parse_upload(data, filename=filename, format=format)
    now = now or now_utc()
    session.execute(delete(PendingUpload).where(PendingUpload.expires_at < now))
    pending = PendingUpload(
        token=secrets.token_urlsafe(32),
        user_id=user.id,
        filename=filename,
        format=format,
        force_targets=force_targets,
        sha256=sha256_of(data),
        size=len(data),
        data=data,
        created_at=now,
        expires_at=now + PENDING_TTL,
    )
    session.add(pending)
    session.flush()
    return pending


def get_pending(
    *, session: Session, user: User, token: str, for_update: bool = False, now: datetime | None = None
) -> PendingUpload:
    """The caller's own, unexpired upload; :class:`NotFound` otherwise (another user's is not shown)."""
    stmt = select(PendingUpload).where(PendingUpload.token == token, PendingUpload.user_id == user.id)
    if for_update:
        stmt = stmt.with_for_update()  # PostgreSQL: a second confirmation waits, then finds none
    pending = session.scalar(stmt)
    if pending is None or _aware(pending.expires_at) <= (now or now_utc()):
        raise NotFound(NOT_FOUND, code="upload_not_found", loc=("upload_id",))
    return pending


def list_pending(*, session: Session, user: User, now: datetime | None = None) -> list[PendingUpload]:
    return list(
        session.scalars(
            select(PendingUpload)
            .where(PendingUpload.user_id == user.id, PendingUpload.expires_at > (now or now_utc()))
            .order_by(PendingUpload.created_at.desc())
        )
    )


def cancel_upload(*, session: Session, user: User, token: str) -> bool:
    """Forget the caller's upload (idempotent). True when there was one."""
    result = session.execute(
        delete(PendingUpload).where(PendingUpload.token == token, PendingUpload.user_id == user.id)
    )
    return bool(result.rowcount)


# ---------------------------------------------------------------- what an import does


@dataclass
class UnitPlan:
    code: str
    name: str
    action: str  # create | rename
    before_name: str | None = None


@dataclass(frozen=True)
class IndicatorRef:
    """An indicator of the plan by its identity (level 2, name, occurrence) and its target."""

    level2: str
    name: str
    occurrence: int = 1
    raw: str | None = None
    points: str | None = None

    def __str__(self) -> str:
        """``数量指标 / 企业安全检查：≥40次（5 分）`` (with the target when known)."""
        text = f"{self.level2} / {self.name}" + (f"（第{self.occurrence}个）" if self.occurrence > 1 else "")
        if self.raw:
            text += f"：{self.raw}"
        if self.points:
            text += f"（{self.points} 分）"
        return text


@dataclass(frozen=True)
class FieldChange:
    """A project field the import changes: plain values (decimal strings, lists), and as shown."""

    field: str
    label: str
    before: Any
    after: Any

    @property
    def before_text(self) -> str:
        return _money(self.before) if self.field == "amount_wan" else _show(self.before)

    @property
    def after_text(self) -> str:
        return _money(self.after) if self.field == "amount_wan" else _show(self.after)


@dataclass
class ProjectPlan:
    unit_code: str
    unit_name: str
    seq: int
    name: str
    amount_wan: Decimal | None
    indicator_count: int
    action: str  # create | update | same
    fields: list[FieldChange] = field(default_factory=list)
    created: list[IndicatorRef] = field(default_factory=list)
    removed: list[IndicatorRef] = field(default_factory=list)
    changed: int = 0  # indicators whose target changes
    kept: list[IndicatorRef] = field(default_factory=list)  # no longer in the table, kept for their actual

    @property
    def touched(self) -> bool:
        return self.action != "same" or bool(self.created or self.removed or self.changed or self.kept)


@dataclass
class Plan:
    """What one import run did (inside its SAVEPOINT)."""

    outcome: str
    created: Counter[str]
    updated: Counter[str]
    removed: Counter[str]
    changes: list[dict[str, Any]]
    units: list[UnitPlan]
    projects: list[ProjectPlan]
    fingerprint: str = ""

    @property
    def target_changes(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c.get("after") is not None]

    @property
    def kept_changes(self) -> list[dict[str, Any]]:
        return [c for c in self.changes if c.get("after") is None]


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_str(value.normalize())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _snapshot(session: Session, table: ParsedTable) -> dict[str, Any]:
    """Plain values of the units and projects ``table`` names (no ORM objects survive it)."""
    codes = {u.code for u in table.units} | {p.unit_code for p in table.projects}
    units = {u.code: u.name for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    wanted = {(p.unit_code, p.name) for p in table.projects}
    projects: dict[tuple[str, str], dict[str, Any]] = {}
    stmt = (
        select(Project, Unit.code)
        .join(Unit, Project.unit_id == Unit.id)
        .where(Project.year == table.year, Unit.code.in_(codes))
        .options(selectinload(Project.indicators))
    )
    for project, code in session.execute(stmt):
        if (code, project.name) not in wanted:
            continue
        projects[(code, project.name)] = {
            "seq": project.seq,
            "amount_wan": _norm(project.amount_wan),
            "goals": list(project.goals or []),
            "indicators": {
                (i.level2, i.name, i.occurrence): {k: _norm(getattr(i, k)) for k in TARGET_FIELDS}
                for i in project.indicators
            },
        }
    return {"units": units, "projects": projects}


def _ref(key: tuple[str, str, int], fields: dict[str, Any] | None = None) -> IndicatorRef:
    level2, name, occurrence = key
    fields = fields or {}
    return IndicatorRef(level2, name, occurrence, fields.get("raw") or None, fields.get("points") or None)


def _plan(table: ParsedTable, before: dict[str, Any], after: dict[str, Any], result: ImportResult) -> Plan:
    units = []
    for parsed in table.units:
        old = before["units"].get(parsed.code)
        if old is None:
            units.append(UnitPlan(parsed.code, parsed.name, "create"))
        elif old != after["units"].get(parsed.code):
            units.append(UnitPlan(parsed.code, parsed.name, "rename", old))
    unit_names = {**after["units"], **{u.code: u.name for u in table.units}}
    projects = []
    for parsed in table.projects:
        key = (parsed.unit_code, parsed.name)
        old, new = before["projects"].get(key), after["projects"].get(key, {"indicators": {}})
        plan = ProjectPlan(
            unit_code=parsed.unit_code,
            unit_name=unit_names.get(parsed.unit_code, ""),
            seq=parsed.seq,
            name=parsed.name,
            amount_wan=parsed.amount_wan,
            indicator_count=len(parsed.indicators),
            action="create" if old is None else "same",
        )
        if old is not None:
            for name, label in (("seq", "序号"), ("amount_wan", "金额（万元）"), ("goals", "年度绩效目标")):
                if old[name] != new.get(name):
                    plan.fields.append(FieldChange(name, label, old[name], new.get(name)))
            if plan.fields:
                plan.action = "update"
            old_ind, new_ind = old["indicators"], new["indicators"]
            plan.created = [_ref(k, v) for k, v in new_ind.items() if k not in old_ind]
            plan.removed = [_ref(k, v) for k, v in old_ind.items() if k not in new_ind]
            plan.changed = sum(1 for k in new_ind if k in old_ind and new_ind[k] != old_ind[k])
        else:
            plan.created = [_ref(k, v) for k, v in new["indicators"].items()]
        projects.append(plan)
    for change in result.changes:
        if change.get("after") is None:
            for plan in projects:
                if plan.name == change["project"]:
                    plan.kept.append(IndicatorRef(change["level2"], change["indicator"]))
                    break
    plan = Plan(
        outcome=result.batch.outcome,
        created=result.created,
        updated=result.updated,
        removed=result.removed,
        changes=result.changes,
        units=units,
        projects=projects,
    )
    plan.fingerprint = _fingerprint(plan)
    return plan


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


def _money(value: str | None) -> str:
    """万元 with at least two places (``2.5`` → ``2.50``; ``0.0915`` stays)."""
    if value is None:
        return "（空）"
    amount = Decimal(value)
    return str(amount.quantize(Decimal("0.01"))) if amount == amount.quantize(Decimal("0.01")) else value


def _fingerprint(plan: Plan) -> str:
    """A digest of everything the preview shows about the database's changes."""
    body = {
        "outcome": plan.outcome,
        "created": dict(plan.created),
        "updated": dict(plan.updated),
        "removed": dict(plan.removed),
        "changes": plan.changes,
        "units": [(u.code, u.name, u.action, u.before_name) for u in plan.units],
        "projects": [
            (
                p.unit_code,
                p.name,
                p.action,
                [(f.field, f.before, f.after) for f in p.fields],
                [str(r) for r in p.created],
                [str(r) for r in p.removed],
                p.changed,
                [str(r) for r in p.kept],
            )
            for p in plan.projects
        ],
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_import(
    *, session: Session, table: ParsedTable, source_name: str, sha256: str, force_targets: bool
) -> tuple[ImportResult, Plan]:
    """``import_table`` with the before/after reading that makes its :class:`Plan`.

    Raises :class:`ImportRefused`. The caller owns the SAVEPOINT around it.
    """
    before = _snapshot(session, table) if table.year is not None else {"units": {}, "projects": {}}
    result = import_table(
        session=session, table=table, source_name=source_name, sha256=sha256, force_targets=force_targets
    )
    return result, _plan(table, before, _snapshot(session, table), result)


DB_REFUSED = "数据库拒绝了表中的内容（例如名称过长或编码重复），未导入任何内容。"


def _dry_run(session: Session, table: ParsedTable, pending: PendingUpload, force: bool) -> Plan:
    """Run the import in a SAVEPOINT and roll it back: nothing reaches the database."""
    savepoint = session.begin_nested()
    try:
        _, plan = run_import(
            session=session,
            table=table,
            source_name=pending.filename,
            sha256=pending.sha256,
            force_targets=force,
        )
        return plan
    except DBAPIError:
        log.exception("dry run of upload %s failed in the database", pending.id)
        raise ImportRefused(DB_REFUSED) from None
    finally:
        savepoint.rollback()  # also after a failed flush, which leaves it inactive but open


# ---------------------------------------------------------------- preview


@dataclass
class Preview:
    pending: PendingUpload
    table: ParsedTable | None = None
    detected_format: str | None = None
    error: str | None = None  # the file cannot be read any more (should not happen: checked on upload)
    plan: Plan | None = None  # what the import does; with needs_force, what a forced import would do
    refusal: ImportRefused | None = None
    needs_force: bool = False  # refused only for targets changed where actuals exist
    unparsed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def can_confirm(self) -> bool:
        return self.error is None and self.refusal is None and self.plan is not None


def preview_upload(*, session: Session, pending: PendingUpload) -> Preview:
    """Everything a confirmation of ``pending`` would do, computed and rolled back."""
    from app.targets.formats import detect_format

    preview = Preview(pending=pending)
    data = pending.data
    if sha256_of(data) != pending.sha256:
        preview.error = "存储的文件与上传时的校验值不一致，请重新上传。"
        return preview
    try:
        table = parse_upload(data, filename=pending.filename, format=pending.format)
    except UploadRejected as exc:
        preview.error = exc.message
        return preview
    preview.table = table
    preview.detected_format = (
        detect_format(data, pending.filename) if pending.format == "auto" else pending.format
    )
    preview.warnings = [
        _warning_row(w.to_json(), table) for w in table_warnings(session=session, table=table)
    ]
    preview.unparsed = [
        {"seq": p.seq, "project": p.name, "level2": i.level2, "name": i.name, "raw": i.target.raw}
        for p in table.projects
        for i in p.indicators
        if i.target.kind == "unparsed"
    ]
    try:
        preview.plan = _dry_run(session, table, pending, pending.force_targets)
    except ImportRefused as refused:
        preview.refusal = refused
        if not pending.force_targets and refused.details:
            try:  # would forcing do it? then show what it would do
                preview.plan = _dry_run(session, table, pending, True)
                preview.needs_force = True
            except ImportRefused:
                preview.plan = None
    return preview


NEEDS_FORCE = (
    "以下指标已填报实际完成值，而表中的目标值与已导入的不同（或指标已不在表中），不能按现状导入。"
    "如确需修改，请选择强制更新目标值（API：force_targets=true）后重新上传：目标值将更新，"
    "已填报的实际值保留，修改记入导入记录。"
)


def preview_refusal(preview: Preview) -> AppError | None:
    """Why ``preview`` cannot be confirmed, as the error an API answers; ``None`` when it can.

    An unreadable file or a table the import refuses is 422 (``loc`` ``file``); targets changed
    where actuals exist (without forcing) is 409 (``loc`` ``force_targets``), one item per indicator.
    """
    if preview.error is not None:
        return UploadRejected(preview.error, code="unreadable_file")
    refused = preview.refusal
    if refused is None:
        return None
    if preview.needs_force:
        items = [ErrorItem(NEEDS_FORCE, "targets_have_actuals", ("force_targets",))]
        items += [ErrorItem(d, "targets_have_actuals", ("force_targets",)) for d in refused.details]
        return Conflict(NEEDS_FORCE, code="targets_have_actuals", loc=("force_targets",), errors=items)
    message = refused.args[0]
    items = [ErrorItem(message, "import_refused", ("file",))]
    items += [ErrorItem(d, "import_refused", ("file",)) for d in refused.details]
    return Unprocessable(message, code="import_refused", loc=("file",), errors=items)


def upload_and_preview(
    *,
    session: Session,
    user: User,
    data: bytes,
    filename: str,
    format: str = "auto",
    force_targets: bool = False,
) -> Preview:
    """Store ``data`` and preview its import; a file that cannot be confirmed is not kept.

    Raises :class:`UploadRejected` (422), or the :func:`preview_refusal` of the preview.
    """
    pending = store_upload(
        session=session, user=user, data=data, filename=filename, format=format, force_targets=force_targets
    )
    try:
        return confirmable_preview(session=session, pending=pending)
    except AppError:
        session.delete(pending)
        session.flush()
        raise


def confirmable_preview(*, session: Session, pending: PendingUpload) -> Preview:
    """:func:`preview_upload`, raising its :func:`preview_refusal` when it cannot be confirmed."""
    preview = preview_upload(session=session, pending=pending)
    refusal = preview_refusal(preview)
    if refusal is not None:
        raise refusal
    return preview


def _warning_row(w: dict[str, Any], table: ParsedTable) -> dict[str, Any]:
    names = {p.seq: p.name for p in table.projects}
    seq = w.get("project_seq")
    return {**w, "project": names.get(seq) if seq is not None else None}


# ---------------------------------------------------------------- confirm


def confirm_upload(
    *,
    session: Session,
    user: User,
    token: str,
    sha256: str | None,
    fingerprint: str,
    address: str | None = None,
) -> ImportBatch:
    """Import ``token``'s file for real if it still does what the confirmed preview showed.

    ``sha256`` is the file's digest as the preview gave it (``None``: not sent; the stored bytes
    are checked against the digest taken at upload all the same). Raises :class:`ConfirmRefused`
    (nothing saved; the upload stays for a new preview) or :class:`NotFound`. On success the
    upload is deleted and an audit row recorded.
    """
    pending = get_pending(session=session, user=user, token=token, for_update=True)
    data = pending.data
    if (sha256 is not None and sha256 != pending.sha256) or sha256_of(data) != pending.sha256:
        raise ConfirmRefused(
            "文件校验值与预览时不一致，未导入。请核对预览后重新确认。", code="sha256_mismatch", field="sha256"
        )
    try:
        table = parse_upload(data, filename=pending.filename, format=pending.format)
    except UploadRejected as exc:
        raise ConfirmRefused(exc.message, code=exc.code, field="file") from None
    savepoint = session.begin_nested()
    try:
        result, plan = run_import(
            session=session,
            table=table,
            source_name=pending.filename,
            sha256=pending.sha256,
            force_targets=pending.force_targets,
        )
        if plan.fingerprint != fingerprint:
            raise ConfirmRefused(
                "预览之后数据库中的数据已有变化，本次未导入。请核对更新后的预览，再确认导入。",
                code="fingerprint_mismatch",
            )
    except ImportRefused as refused:
        savepoint.rollback()
        reason = (
            "有指标已填报实际完成值，而表中的目标值不同" if refused.details else refused.args[0].rstrip("。")
        )
        raise ConfirmRefused(
            f"导入被拒绝，未保存任何内容：{reason}。",
            code="targets_have_actuals" if refused.details else "import_refused",
            details=refused.details,
        ) from None
    except DBAPIError:
        savepoint.rollback()
        log.exception("import of upload %s failed in the database", pending.id)
        raise ConfirmRefused(DB_REFUSED, code="database_refused", field="file") from None
    except ConfirmRefused:
        savepoint.rollback()
        raise
    savepoint.commit()
    audit_import(
        session=session,
        result=result,
        source_name=pending.filename,
        actor=user,
        force_targets=pending.force_targets,
        counts={k: counts_text(getattr(result, k)) for k in ("created", "updated", "removed")},
        address=address,
    )
    session.delete(pending)
    session.flush()
    return result.batch


def counts_text(counter: Counter[str] | dict[str, int]) -> str:
    parts = [f"{COUNT_LABELS.get(k, k)} {v}" for k, v in counter.items() if v]
    return "、".join(parts) if parts else "无"


# ---------------------------------------------------------------- history


@dataclass
class BatchRow:
    batch: ImportBatch
    actor: str | None  # None: imported on the command line (no audit row)


def list_batches(*, session: Session, limit: int, offset: int = 0) -> tuple[list[BatchRow], int]:
    """ImportBatch rows newest first, each with who confirmed it on the upload page."""
    total = session.scalar(select(func.count()).select_from(ImportBatch)) or 0
    batches = list(
        session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit).offset(offset))
    )
    ids = [str(b.id) for b in batches]
    audit = select(AuditLog.entity_id, AuditLog.actor_name).where(
        AuditLog.action == IMPORT_ACTION, AuditLog.entity == "import", AuditLog.entity_id.in_(ids)
    )
    actors = dict(session.execute(audit).all())
    return [BatchRow(b, actors.get(str(b.id))) for b in batches], total


MAIN_FIELDS = ("raw", "points", "direction", "level1")


def change_summary(change: dict[str, Any]) -> str:
    """One line for a recorded target change: ``指标值 ≥20次 → ≥25次；分值 5 → 6``."""
    after = change.get("after")
    if after is None:
        return change.get("note") or "表中已无此指标，保留"
    before = change.get("before") or {}
    keys = [k for k in MAIN_FIELDS if k in after] or list(after)
    return "；".join(f"{FIELD_LABELS.get(k, k)} {_show(before.get(k))} → {_show(after.get(k))}" for k in keys)
