"""Admin pages for scoring policies (评分规则, docs/scoring-rules.md §11): list, edit (a new version), the
policy of each budget year, a new policy copied from another. Admin only; every form has CSRF.

The edit form is a form over the named settings of ``PolicySettings`` (``FORM``): one field per
setting, errors next to their field in Chinese, the input kept when refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.audit import actor_label, as_local
from app.accounts.deps import client_address, require_role
from app.core.errors import AppError
from app.core.params import MAX_VERSION, MAX_YEAR, MIN_YEAR, VersionQuery, parse_int
from app.db.deps import SessionDep
from app.db.models import User
from app.scoring import policies
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
AdminUser = Annotated[User, Depends(require_role("admin"))]


@dataclass(frozen=True)
class Field:
    key: str  # dotted settings key
    label: str
    kind: str = "number"  # number | select | checkbox | text | list | textarea
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    step: str = "any"


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]
    key: str = ""  # settings key whose whole-group errors show at the section (level1_weights)
    note: str = ""


FORM: tuple[Section, ...] = (
    Section(
        "一级指标权重",
        (
            Field("level1_weights.budget", "预算执行率"),
            Field("level1_weights.output", "产出指标"),
            Field("level1_weights.benefit", "效益指标"),
            Field("level1_weights.satisfaction", "满意度指标"),
            Field("level1_weights.cost", "成本指标（单列时）", hint="与产出指标共用权重时填 0"),
        ),
        key="level1_weights",
        note="各项合计应为 100 分（如 10/50/30/10，或效益与满意度合计 40 的 20/40/30/10）。",
    ),
    Section(
        "分值分配",
        (
            Field(
                "cost_level1",
                "一级“成本指标”",
                "select",
                (
                    ("share_output", "与产出指标共用产出权重"),
                    ("own_weight", "单列权重（按上方“成本指标”分值）"),
                ),
            ),
            Field(
                "weight_split",
                "表中未给出分值时",
                "select",
                (
                    ("equal_within_level1", "一级指标权重在其指标间平均分配"),
                    ("equal_within_level2", "先在二级指标间平均，再在二级指标内平均"),
                    ("manual", "不分配：每个指标都须在表中给出分值"),
                ),
            ),
            Field(
                "empty_level1",
                "某一级指标没有指标时",
                "select",
                (
                    ("move_to_benefit", "其权重并入效益指标"),
                    ("rescale_to_100", "其余一级指标按比例折算到 100 分"),
                    ("error", "不予评分"),
                ),
            ),
        ),
    ),
    Section(
        "预算执行率与定量指标",
        (
            Field("budget_cap", "执行率超过 100% 时按 100% 计分", "checkbox"),
            Field(
                "reverse_formula",
                "反向指标未达标时",
                "select",
                (
                    ("ratio", "得分 = 分值 × 目标值 ÷ 实际值"),
                    ("linear_deviation", "得分 = 分值 × (1 − (实际值 − 目标值) ÷ 目标值)，不低于 0"),
                ),
            ),
            Field(
                "overachieve_ratio",
                "超额完成提示倍数",
                hint="正向指标实际值 ≥ 目标值 × 此倍数时提示，并要求说明偏差原因（如 1.3）",
            ),
            Field(
                "overachieve_penalty",
                "超额完成的得分",
                "select",
                (("none", "满分，仅要求说明原因"), ("reviewer_adjusts", "满分，并提示审核人员复核调整")),
            ),
        ),
    ),
    Section(
        "定性指标",
        (
            Field(
                "qualitative_bands",
                "等级区间下限（达成/部分达成）",
                "text",
                hint="如 0.8/0.6：达成为分值的 80%–100%，部分达成 60%–80%，未达成 60% 以下",
            ),
            Field("qualitative_scores.achieved", "“达成”默认得分比例", hint="如 1 即满分"),
            Field("qualitative_scores.partial", "“部分达成”默认得分比例", hint="如 0.7"),
            Field("qualitative_scores.not_achieved", "“未达成”默认得分比例", hint="如 0.3"),
        ),
    ),
    Section(
        "时效指标",
        (
            Field(
                "late_policy",
                "逾期完成时",
                "select",
                (
                    ("partial", "按分值的一定比例计分（见下一项）"),
                    ("zero", "不得分"),
                    ("per_month_minus_10pct", "每逾期一个月扣分值的 10%"),
                ),
            ),
            Field("late_partial_fraction", "逾期得分比例", hint="如 0.7 即得分值的 70%"),
        ),
    ),
    Section(
        "计分精度与等级",
        (
            Field(
                "rounding.places",
                "得分保留小数位数",
                "select",
                (("2", "2 位（如 3.47）"), ("1", "1 位（如 3.5）"), ("0", "整数")),
            ),
            Field("rounding.mode", "取舍方式", "select", (("half_up", "四舍五入"), ("down", "截尾（舍去）"))),
            Field(
                "grades", "等级分数线（优/良/中）", "text", hint="如 90/80/60：≥90 优，≥80 良，≥60 中，其余差"
            ),
        ),
    ),
    Section(
        "比率类指标与一致性提示",
        (
            Field(
                "share_detection.enabled", "识别比率类指标（实际值超过 100% 时提示数据可能有误）", "checkbox"
            ),
            Field("share_detection.units", "比率的计量单位", "list", hint="多个用逗号或顿号分隔，如 %、‰"),
            Field(
                "share_detection.keywords", "比率类指标名称关键词", "textarea", hint="多个用逗号或顿号分隔"
            ),
            Field(
                "consistency.ahead_of_spending",
                "绩效超前于支出的提示阈值",
                hint="如 0.05：指标得分率高出预算执行得分率 5% 以上时提示",
            ),
            Field("consistency.low_execution_rate", "预算执行率偏低提示线", hint="如 0.80 即低于 80% 时提示"),
        ),
    ),
)
FIELDS = {f.key: f for s in FORM for f in s.fields}
_SPLIT = re.compile(r"[,，、;；\s]+")


def form_values(settings: dict[str, Any]) -> dict[str, str | bool]:
    """Stored settings → what the form shows (lists joined with 、)."""
    out: dict[str, str | bool] = {}
    for key, value in policies.flatten(settings).items():
        if isinstance(value, list):
            out[key] = "、".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def form_data(settings: dict[str, Any]) -> dict[str, str]:
    """What a browser posts for these settings unchanged (an unticked box is left out)."""
    out: dict[str, str] = {}
    for key, value in form_values(settings).items():
        if value is True:
            out[key] = "on"
        elif value is not False:
            out[key] = str(value)
    return out


def changes_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The posted form → dotted settings (every field of ``FORM``; an unticked box is false)."""
    out: dict[str, Any] = {}
    for key, f in FIELDS.items():
        raw = str(form.get(key, "")).strip()
        if f.kind == "checkbox":
            out[key] = raw in ("on", "true", "1")
        elif f.kind in ("list", "textarea"):
            out[key] = [v for v in _SPLIT.split(raw) if v]
        else:
            out[key] = raw
    return out


def field_errors(exc: AppError) -> dict[str, str]:
    """``loc`` ``("settings", "rounding.places")`` → ``{"rounding.places": msg}``; the rest → ``_form``."""
    errors: dict[str, list[str]] = {}
    for item in exc.items():
        loc = [str(p) for p in item.loc]
        key = (
            loc[1]
            if len(loc) > 1 and loc[0] == "settings"
            else (loc[0] if loc and loc[0] != "settings" else "")
        )
        if key and key not in FIELDS and key not in {s.key for s in FORM if s.key} | {"note", "name", "year"}:
            key = next((k for k in FIELDS if k.startswith(key + ".")), "")  # e.g. a whole group
        errors.setdefault(key or "_form", []).append(item.msg)
    return {k: "；".join(v) for k, v in errors.items()}


@dataclass
class VersionRow:
    version: int
    at: str
    by: str
    note: str | None
    changes: list[str] = field(default_factory=list)

    @property
    def by_label(self) -> str:
        return _by(self.by)


def _by(name: str) -> str:
    """``system`` → 系统, ``cli:root`` → 命令行（root）, a user name as is."""
    return "系统" if name == "system" else actor_label(name)


def _history(rows) -> list[VersionRow]:
    out = []
    for i, row in enumerate(rows):  # newest first
        older = rows[i + 1] if i + 1 < len(rows) else None
        changes = []
        if older is not None:
            new, old = form_values(row.settings), form_values(older.settings)
            for key in new:
                if new[key] != old.get(key):
                    label = FIELDS[key].label if key in FIELDS else key
                    changes.append(f"{label}：{_show(old.get(key))} → {_show(new[key])}")
        out.append(
            VersionRow(
                row.version,
                as_local(row.created_at).strftime("%Y-%m-%d %H:%M"),
                row.created_by,
                row.note,
                changes,
            )
        )
    return out


def _show(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


# ------------------------------------------------------------------------------------- list page


def _list_page(
    request: Request,
    session,
    *,
    year_form: dict[str, str] | None = None,
    year_errors: dict[str, str] | None = None,
    new_form: dict[str, str] | None = None,
    new_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    policies.ensure_default_policies(session=session)
    summaries = policies.list_policies(session=session)
    settings = {y.year: y for y in policies.year_policies(session=session)}
    years = sorted(set(policies.project_years(session=session)) | set(settings), reverse=True)
    year_rows = [
        {
            "year": y,
            "name": settings[y].policy_name if y in settings else policies.DEFAULT_POLICY_NAME,
            "version": settings[y].policy_version if y in settings else None,
            "explicit": y in settings,
            "resolved": policies.policy_for_year(session=session, year=y),
        }
        for y in years
    ]
    return templates.TemplateResponse(
        request,
        "policies.html",
        {
            "summaries": [
                {
                    "s": s,
                    "at": as_local(s.latest.created_at).strftime("%Y-%m-%d %H:%M"),
                    "by": _by(s.latest.created_by),
                }
                for s in summaries
            ],
            "names": [s.latest.name for s in summaries],
            "year_rows": year_rows,
            "year_form": year_form or {},
            "year_errors": year_errors or {},
            "new_form": new_form or {"based_on": policies.DEFAULT_POLICY_NAME},
            "new_errors": new_errors or {},
            "saved_year": request.query_params.get("year_saved"),
        },
        status_code=status_code,
    )


@router.get("/admin/policies", response_class=HTMLResponse)
def policies_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return _list_page(request, session)


@router.post("/admin/policies", response_class=HTMLResponse)
async def create_policy(request: Request, session: SessionDep, user: AdminUser) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        row = policies.create_policy(
            session=session,
            name=form.get("name", ""),
            based_on=form.get("based_on") or policies.DEFAULT_POLICY_NAME,
            note=form.get("note"),
            actor=user,
            address=client_address(request),
        )
    except AppError as exc:
        errors = {k if k in ("name", "based_on") else "name": v for k, v in field_errors(exc).items()}
        return _list_page(request, session, new_form=form, new_errors=errors, status_code=exc.status_code)
    return RedirectResponse(f"/admin/policies/{row.name}?saved={row.version}", status_code=303)


@router.post("/admin/policy-years", response_class=HTMLResponse)
async def set_year(request: Request, session: SessionDep, user: AdminUser) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    errors: dict[str, str] = {}
    version = None
    year = parse_int(form.get("year", ""), low=MIN_YEAR, high=MAX_YEAR)
    if year is None:
        errors["year"] = f"请填写四位数的年度（{MIN_YEAR}–{MAX_YEAR}），如 2023"
    if form.get("version"):
        version = parse_int(form["version"], low=1, high=MAX_VERSION)
        if version is None:
            errors["version"] = "版本应为整数；留空表示始终使用最新版本"
    if not form.get("name"):
        errors["name"] = "请选择评分规则"
    if not errors:
        try:
            policies.set_year_policy(
                session=session,
                year=year,  # type: ignore[arg-type]
                name=form["name"],
                version=version,
                actor=user,
                address=client_address(request),
            )
        except AppError as exc:
            for item in exc.items():
                if item.code == "policy_not_found":
                    key = "version" if version is not None else "name"
                else:
                    key = "year" if tuple(item.loc) == ("year",) else "_form"
                errors[key] = item.msg
    if errors:
        return _list_page(request, session, year_form=form, year_errors=errors, status_code=422)
    return RedirectResponse(f"/admin/policies?year_saved={year}", status_code=303)


# ------------------------------------------------------------------------------------- edit page


def _edit_page(
    request: Request,
    session,
    name: str,
    *,
    version: int | None = None,
    values: dict[str, Any] | None = None,
    note: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    policies.ensure_default_policies(session=session)
    rows = policies.policy_versions(session=session, name=name)
    if not rows:
        policies.get_version(session=session, name=name)  # 404 with its message
    latest = rows[0]
    shown = latest
    if version is not None:
        shown = next((r for r in rows if r.version == version), None) or policies.get_version(
            session=session, name=name, version=version
        )
    years = next((s.years for s in policies.list_policies(session=session) if s.latest.name == name), [])
    return templates.TemplateResponse(
        request,
        "policies_edit.html",
        {
            "name": name,
            "latest": latest,
            "shown": shown,
            "readonly": shown.version != latest.version,
            "form": FORM,
            "values": values if values is not None else form_values(shown.settings),
            "note": note,
            "errors": errors or {},
            "history": _history(rows),
            "years": years,
            "saved": request.query_params.get("saved"),
            "unchanged": request.query_params.get("unchanged"),
        },
        status_code=status_code,
    )


@router.get("/admin/policies/{name}", response_class=HTMLResponse)
def policy_page(
    request: Request, name: str, session: SessionDep, user: AdminUser, version: VersionQuery = None
) -> Response:
    return _edit_page(request, session, name, version=version)


@router.post("/admin/policies/{name}", response_class=HTMLResponse)
async def save_policy(request: Request, name: str, session: SessionDep, user: AdminUser) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    kept = {
        k: (form.get(k) in ("on", "true", "1")) if f.kind == "checkbox" else form.get(k, "")
        for k, f in FIELDS.items()
    }
    base = parse_int(form.get("base_version", ""), low=1, high=MAX_VERSION)
    policies.ensure_default_policies(session=session)
    before = policies.get_version(session=session, name=name).version
    try:
        row = policies.update_policy(
            session=session,
            name=name,
            changes=changes_from_form(form),
            note=form.get("note"),
            base_version=base,
            actor=user,
            address=client_address(request),
        )
    except AppError as exc:
        return _edit_page(
            request,
            session,
            name,
            values=kept,
            note=form.get("note", ""),
            errors=field_errors(exc),
            status_code=exc.status_code,
        )
    if row.version == before:
        return RedirectResponse(f"/admin/policies/{name}?unchanged=1", status_code=303)
    return RedirectResponse(f"/admin/policies/{name}?saved={row.version}", status_code=303)
