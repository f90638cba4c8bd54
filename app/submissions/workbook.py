"""Excel round trip of the entry form (openpyxl): download, fill offline, upload, preview, confirm.

One sheet per project, laid out like the 自评表: the project block (编号 and 版本号 identify it), the
funds block, the goal box, then one row per indicator with its target and the inputs. Input cells
are yellow and unlocked; the sheet is protected without a password so a clerk does not overwrite
an id by accident.

An upload is read back into ``ProjectEntry`` objects and checked exactly like the form
(``service.prepare_entry``), plus: the project must be the caller's, editable, and at the version
the workbook was downloaded at (otherwise someone changed it since: download again). The preview
lists every change and every error; nothing is written until the caller confirms a valid upload
(``apply_upload``, all projects in one transaction). Nothing is kept in process memory between
the two steps: the confirmation re-posts the file, which is read and checked again.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from app.accounts.audit import Actor
from app.accounts.scoping import get_writable_project
from app.core.errors import AppError
from app.core.params import parse_id
from app.core.spreadsheet import text_cells
from app.db.models import Project
from app.db.models.accounts import User
from app.scoring.actuals import GRADE_LABELS
from app.scoring.input_kinds import cell_shown, cell_text
from app.scoring.input_shapes import excel_number
from app.submissions import entries as E
from app.submissions import fields as F
from app.submissions import queries, service
from app.submissions.status import EDITABLE, STATUS_LABELS, display_status
from app.targets.types import decimal_str

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADERS = (
    ("id", "指标ID（请勿修改）", 10),
    ("level1", "一级指标", 10),
    ("level2", "二级指标", 12),
    ("name", "三级指标", 26),
    ("target", "年度指标值", 16),
    ("unit", "计量单位", 8),
    ("how", "填写说明", 24),
    ("actual", "实际完成值", 18),
    ("baseline", "基数（参照指标）", 12),
    ("score", "评分（定性，可选）", 10),
    ("na", "不适用（填“是”）", 10),
    ("na_reason", "不适用理由", 20),
    ("reason", "偏差原因分析及改进措施", 36),
)
COLUMN = {key: i + 1 for i, (key, _, _) in enumerate(HEADERS)}
HEADER_ID = HEADERS[0][1]
IDS = {"project_id": "项目编号", "version": "版本号（请勿修改）"}
LABELS = IDS | {f.name: f.sheet_label for f in F.PROJECT_FIELDS}  # label cell texts
YES = frozenset({"是", "√", "✓", "y", "yes", "true", "1", "不适用", "x"})

INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
HEAD_FILL = PatternFill("solid", fgColor="E8EEF4")
THIN = Side(style="thin", color="B0BEC5")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


# ------------------------------------------------------------------------------ download


def build_workbook(projects: list[Project]) -> bytes:
    """An entry workbook for ``projects`` (with indicators and actuals loaded), pre-filled."""
    wb = Workbook()
    guide = wb.active
    guide.title = "填写说明"
    _guide(guide, projects)
    used: set[str] = {guide.title}
    for project in projects:
        ws = wb.create_sheet(_sheet_title(project, used))
        _project_sheet(ws, project)
    text_cells(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(project: Project, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "", f"{project.seq} {project.name}")[:31].strip() or str(project.id)
    title, n = base, 2
    while title in used:
        suffix = f"({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def _guide(ws, projects: list[Project]) -> None:
    lines = [
        "项目支出绩效自评填报表 · 填写说明",
        "",
        "1. 每个项目一张工作表。只需填写黄色单元格：全年预算数、全年执行数、实际完成情况、各指标的实际完成值等。",
        "2. 实际完成值按指标的计量单位填写数值（如 96 或 96%）；定性指标填写评价等级（达成 / 部分达成 / 未达成）；"
        "时效指标填写完成日期（如 2023-12-20）；参照指标另填基数。",
        "3. 指标不适用时在“不适用”列填“是”，并写明理由。得分低于分值的指标需填写偏差原因分析及改进措施。",
        "4. 请勿修改项目编号、版本号和指标ID。填好后在系统“绩效自评填报”页面上传，预览无误后确认导入。",
        "5. 如下载后项目在系统中又被修改，上传时会提示版本已变化，请重新下载后再填写。",
        "",
        "本工作簿包含的项目：",
    ]
    lines += [f"  {p.seq}. {p.name}（{p.unit.name}，{STATUS_LABELS[display_status(p)]}）" for p in projects]
    for i, text in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 120


def _project_sheet(ws, project: Project) -> None:
    editable = project.status in EDITABLE
    width = len(HEADERS)
    last = get_column_letter(width)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = f"项目支出绩效自评填报表（{project.year}年度）"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")

    def label(cell: str, text: str) -> None:
        ws[cell] = text
        ws[cell].font = Font(bold=True)
        ws[cell].fill = HEAD_FILL
        ws[cell].border = BOX

    def value(cell: str, content: Any, *, entry: bool = False, merge_to: str | None = None) -> None:
        ws[cell] = content
        ws[cell].border = BOX
        ws[cell].alignment = WRAP
        if merge_to:
            ws.merge_cells(f"{cell}:{merge_to}")
        if entry and editable:
            ws[cell].fill = INPUT_FILL
            ws[cell].protection = UNLOCKED

    label("A2", LABELS["project_id"])
    value("B2", project.id)
    label("C2", LABELS["version"])
    value("D2", project.version)
    label("E2", "项目名称")
    value("F2", project.name, merge_to=f"{last}2")
    label("A3", "实施单位")
    value("B3", f"{project.unit.name}（{project.unit.code}）", merge_to="D3")
    label("E3", "年初预算数（万元）")
    value("F3", excel_number(project.amount_wan))
    label("G3", "状态")
    value("H3", STATUS_LABELS[display_status(project)])
    label("A5", "年度总体目标")
    value("B5", "\n".join(project.goals or []), merge_to=f"{last}5")
    for f in F.PROJECT_FIELDS:
        at = ws[f.sheet_cell]
        stored = getattr(project, f.column)
        label(f.sheet_cell, f.sheet_label)
        value(
            at.offset(column=1).coordinate,
            excel_number(stored) if f.is_amount else stored,
            entry=True,
            merge_to=f"{last}{at.row}" if f.sheet_merge else None,
        )
    ws.row_dimensions[5].height = 48
    ws.row_dimensions[6].height = 48

    head = 8
    for key, text, w in HEADERS:
        cell = ws.cell(row=head, column=COLUMN[key], value=text)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(COLUMN[key])].width = w
    grades = DataValidation(
        type="list", formula1='"' + ",".join(GRADE_LABELS.values()) + '"', allow_blank=True
    )
    yes = DataValidation(type="list", formula1='"是"', allow_blank=True)
    ws.add_data_validation(grades)
    ws.add_data_validation(yes)
    for n, ind in enumerate(sorted(project.indicators, key=lambda r: r.position)):
        r = head + 1 + n
        shape = E.shape(ind)
        e = E.stored_entry(ind)
        cells: dict[str, Any] = {
            "id": ind.id,
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "target": ind.raw,
            "unit": ind.unit or "",
            "how": shape.how.format(unit=ind.unit or "按指标值", reference=ind.reference or "参照值"),
            "actual": shape.sheet_value(e, ind.actual.raw if ind.actual is not None else None),
            "baseline": excel_number(e.baseline) if "baseline" in shape.sheet_inputs else None,
            "score": excel_number(e.score) if "score" in shape.sheet_inputs else None,
            "na": "是" if e.not_applicable else None,
            "na_reason": e.na_reason or None,
            "reason": e.reason or None,
        }
        inputs = {"actual", "na", "na_reason", "reason"} | shape.sheet_inputs
        for key, content in cells.items():
            cell = ws.cell(row=r, column=COLUMN[key], value=content)
            cell.border = BOX
            cell.alignment = WRAP
            if key in inputs and editable:
                cell.fill = INPUT_FILL
                cell.protection = UNLOCKED
        if shape.sheet_choices:
            grades.add(ws.cell(row=r, column=COLUMN["actual"]))
        if shape.sheet_format:
            ws.cell(row=r, column=COLUMN["actual"]).number_format = shape.sheet_format
        yes.add(ws.cell(row=r, column=COLUMN["na"]))
    ws.freeze_panes = ws.cell(row=head + 1, column=COLUMN["actual"])
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


# ------------------------------------------------------------------------------ upload


@dataclass(slots=True)
class SheetPreview:
    """What one project sheet of an upload would change, and what is wrong with it."""

    sheet: str
    project: Project | None
    changes: list[service.FieldChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    plan: service.EntryPlan | None = None
    skipped: str | None = None  # a project that cannot be edited, left as it is: why
    missing: list[service.Missing] = field(default_factory=list)  # what submitting would still need

    @property
    def title(self) -> str:
        if self.project is not None:
            return f"{self.project.seq}. {self.project.name}（{self.project.unit.name}）"
        return f"工作表“{self.sheet}”"


@dataclass(slots=True)
class UploadPreview:
    filename: str
    sha256: str
    sheets: list[SheetPreview] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the file as a whole

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(len(s.errors) for s in self.sheets)

    @property
    def change_count(self) -> int:
        return sum(len(s.changes) for s in self.sheets)

    @property
    def incomplete(self) -> int:
        """Projects that could not be submitted yet as uploaded (a draft may be partial)."""
        return sum(1 for s in self.sheets if s.missing)

    @property
    def valid(self) -> bool:
        return self.error_count == 0 and self.change_count > 0


def preview_upload(*, session: Session, user: User, data: bytes, filename: str) -> UploadPreview:
    """Read an uploaded entry workbook and check it like the form; nothing is written."""
    preview = UploadPreview(filename=filename, sha256=hashlib.sha256(data).hexdigest())
    if len(data) > MAX_UPLOAD_BYTES:
        preview.errors.append(
            f"文件过大（{len(data) // 1024} KB），最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB"
        )
        return preview
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
        formulas = load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        del exc
        preview.errors.append("无法读取该文件：请上传从本系统下载的 Excel 填报表（.xlsx）")
        return preview
    seen: set[int] = set()
    for ws in wb.worksheets:
        found = _read_sheet(ws, formulas[ws.title])
        if found is None:
            continue  # the guide, or a sheet the clerk added
        preview.sheets.append(_check_sheet(session, user, ws.title, found, seen))
    if not preview.sheets:
        preview.errors.append(
            "文件中没有找到填报表：请使用本系统下载的 Excel 填报表（含“项目编号”和“指标ID”）"
        )
    return preview


@dataclass(frozen=True, slots=True)
class _Cell:
    """A cell as uploaded: its (cached) value, number format and address; ``formula`` when it is a
    formula Excel never calculated (no cached value to read)."""

    value: Any
    number_format: str
    coordinate: str
    formula: bool = False

    def text(self, unit: str | None = None) -> str:
        return cell_text(self.value, self.number_format, unit)


EMPTY_CELL = _Cell(None, "General", "")


@dataclass(slots=True)
class _Sheet:
    project_id: Any
    version: Any
    fields: dict[str, _Cell]
    rows: list[tuple[int, Any, dict[str, _Cell]]]  # excel row, indicator id, cells by key


def _read_sheet(ws, formulas) -> _Sheet | None:  # noqa: ANN001 - openpyxl Worksheets
    """``ws``: the sheet with cached values; ``formulas``: the same sheet with its formulas."""

    def cell(r: int, c: int) -> _Cell:
        got = ws.cell(row=r, column=c)
        uncalculated = got.value is None and formulas.cell(row=r, column=c).data_type == "f"
        return _Cell(got.value, got.number_format or "General", got.coordinate, uncalculated)

    labels: dict[str, _Cell] = {}
    head_row = None
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 40)):
        for c in row:
            text = _text(c.value)
            if text == HEADER_ID:
                head_row = c.row
            elif text in LABELS.values() and text not in labels:
                labels[text] = cell(c.row, c.column + 1)
        if head_row:
            break
    if head_row is None or LABELS["project_id"] not in labels:
        return None
    columns: dict[str, int] = {}
    titles = {text: key for key, text, _ in HEADERS}
    for c in ws[head_row]:
        key = titles.get(_text(c.value))
        if key:
            columns[key] = c.column
    rows = []
    for r in range(head_row + 1, ws.max_row + 1):
        ident = ws.cell(row=r, column=columns.get("id", 1)).value
        if ident in (None, ""):
            continue
        rows.append((r, ident, {key: cell(r, c) for key, c in columns.items()}))
    return _Sheet(
        project_id=labels[LABELS["project_id"]].value,
        version=labels.get(LABELS["version"], EMPTY_CELL).value,
        fields={f.name: labels.get(f.sheet_label, EMPTY_CELL) for f in F.PROJECT_FIELDS},
        rows=rows,
    )


def _check_sheet(session: Session, user: User, title: str, sheet: _Sheet, seen: set[int]) -> SheetPreview:
    out = SheetPreview(sheet=title, project=None)
    project_id = _int(sheet.project_id)
    if project_id is None:
        out.errors.append(f"项目编号“{_text(sheet.project_id)}”无效")
        return out
    try:
        project = get_writable_project(
            session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
        )
    except AppError as exc:
        out.errors.append(f"项目编号 {project_id}：{exc.message}")
        return out
    out.project = project
    if project_id in seen:
        out.errors.append("同一项目在文件中出现了两次，请只保留一张工作表")
        return out
    seen.add(project_id)
    entry, row_errors, notes = _entry_of(project, sheet)
    if project.status not in EDITABLE:
        status = STATUS_LABELS[project.status]
        if row_errors or service.differences(project=project, entry=entry):
            out.errors.append(
                f"项目“{project.name}”{status}，不能修改：请撤销此工作表中的修改（或删除此工作表）"
            )
        else:
            out.skipped = f"{status}，未修改，跳过"
        return out
    out.errors += row_errors
    version = _int(sheet.version)
    if version != project.version:
        diffs = service.differences(project=project, entry=entry)
        out.errors.append(
            f"下载此表后，项目已在系统中被修改（表中为第 {_text(sheet.version) or '?'} 版，系统中为第 "
            f"{project.version} 版）。请重新下载填报表，再填写上传。"
        )
        out.errors += [
            f"{d.label}：系统中为“{d.before or '（空）'}”，表中为“{d.after or '（空）'}”" for d in diffs
        ]
        return out
    plan = service.prepare_entry(session=session, project=project, entry=entry)
    out.plan = plan
    out.changes = [
        replace(c, after=f"{c.after}（{notes[c.field]}）") if c.field in notes else c for c in plan.changes
    ]
    out.errors += [f"{e.label}：{e.message}" for e in plan.errors]
    if out.changes or out.errors:  # an untouched sheet of a unit workbook lists nothing
        out.missing = service.missing_after(session=session, plan=plan)
    return out


def _entry_of(project: Project, sheet: _Sheet) -> tuple[E.ProjectEntry, list[str], dict[str, str]]:
    """The sheet as an entry, the errors of its cells, and for each field whose cell Excel stores
    otherwise than it is read (``0.85`` under a percent format) the cell as stored."""
    errors: list[str] = []
    notes: dict[str, str] = {}

    def read(cell: _Cell, unit: str | None = None) -> str:
        if cell.formula:
            errors.append(
                f"单元格 {cell.coordinate} 是公式但没有计算结果：请在 Excel 中打开并保存（或改为直接填写数值）后再上传"
            )
            return ""
        return cell.text(unit)

    entry = E.ProjectEntry(
        version=project.version, **{f.name: read(sheet.fields[f.name]) for f in F.PROJECT_FIELDS}
    )
    by_id = {ind.id: ind for ind in project.indicators}
    for row, ident, cells in sheet.rows:
        ind = by_id.get(_int(ident) or -1)
        if ind is None:
            errors.append(f"第 {row} 行：指标ID“{_text(ident)}”不属于此项目（请勿修改指标ID）")
            continue
        if ind.id in entry.actuals:
            errors.append(f"第 {row} 行：指标“{ind.name}”出现了两次")
            continue
        shape = E.shape(ind)
        actual_cell = cells.get("actual", EMPTY_CELL)
        actual = read(actual_cell, ind.unit)
        stored = cell_shown(actual_cell.value, actual_cell.number_format)
        if actual and stored != actual:
            notes[E.primary_field(ind)] = f"单元格为 {stored}"
        entry.actuals[ind.id] = E.ActualEntry(
            not_applicable=read(cells.get("na", EMPTY_CELL)).lower() in YES,
            na_reason=read(cells.get("na_reason", EMPTY_CELL)),
            reason=read(cells.get("reason", EMPTY_CELL)),
            **shape.from_cells(actual, lambda key, cells=cells: read(cells.get(key, EMPTY_CELL))),
        )
    return entry, errors, notes


def _text(value: Any) -> str:
    """A cell as typed text: integral numbers without ``.0``, dates as ISO, no float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        d = Decimal(repr(value))
        return decimal_str(d) or "0"
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


def _int(value: Any) -> int | None:
    return parse_id(_text(value))


def apply_upload(
    *, session: Session, preview: UploadPreview, actor: Actor, address: str | None = None
) -> tuple[int, int]:
    """Write a valid upload (all its projects in the caller's transaction): (projects, fields)."""
    if not preview.valid:
        raise ValueError("only a valid upload with changes can be applied")
    projects = fields = 0
    for sheet in preview.sheets:
        if sheet.plan is None or not sheet.plan.has_changes:
            continue
        service.apply_plan(session=session, plan=sheet.plan, actor=actor, address=address)
        service.save_snapshot(session=session, project=sheet.plan.project, actor=actor)
        projects += 1
        fields += len(sheet.changes)
    return projects, fields
