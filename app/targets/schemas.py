"""Bodies of the target-table API: the dry-run preview of an upload and the import it confirms.

The preview is :class:`app.targets.upload.Preview` as values — what the upload page shows. Decimals
are strings, so nothing passes through a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.db.models import ImportBatch
from app.targets import upload

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Counts(BaseModel):
    units: int = 0
    projects: int = 0
    indicators: int = 0

    @classmethod
    def of(cls, counter: dict[str, int]) -> Counts:
        return cls(**{k: counter.get(k, 0) for k in ("units", "projects", "indicators")})


class UnitChange(BaseModel):
    code: str
    name: str
    action: Literal["create", "rename"] = Field(description="create：新建；rename：更名")
    before_name: str | None = Field(None, description="更名前的名称")


class IndicatorItem(BaseModel):
    """An indicator by its identity in the project (二级指标, 名称, 同名中的第几个)."""

    level2: str
    name: str
    occurrence: int = 1
    target: str | None = Field(None, description="年度指标值（原文）")
    points: str | None = Field(None, description="分值")

    @classmethod
    def of(cls, ref: upload.IndicatorRef) -> IndicatorItem:
        return cls(
            level2=ref.level2, name=ref.name, occurrence=ref.occurrence, target=ref.raw, points=ref.points
        )


class FieldChangeItem(BaseModel):
    field: Literal["seq", "amount_wan", "goals"]
    label: str
    before: Any
    after: Any


class ProjectChange(BaseModel):
    unit_code: str
    unit_name: str
    seq: int
    name: str
    amount_wan: Decimal | None
    indicator_count: int = Field(description="表中的指标数")
    action: Literal["create", "update", "same"] = Field(
        description="create：新建；update：项目信息（序号、金额、目标）更新；same：项目信息不变（指标可能有变化）"
    )
    touched: bool = Field(description="导入是否改变该项目或其指标")
    fields: list[FieldChangeItem] = Field(description="更新的项目信息，修改前 → 修改后")
    indicators_created: list[IndicatorItem]
    indicators_removed: list[IndicatorItem]
    indicators_kept: list[IndicatorItem] = Field(description="表中已无、因已有实际完成值而保留的指标")
    targets_changed: int = Field(description="目标值修改的指标数（见 target_changes）")

    @classmethod
    def of(cls, p: upload.ProjectPlan) -> ProjectChange:
        return cls(
            unit_code=p.unit_code,
            unit_name=p.unit_name,
            seq=p.seq,
            name=p.name,
            amount_wan=p.amount_wan,
            indicator_count=p.indicator_count,
            action=p.action,
            touched=p.touched,
            fields=[
                FieldChangeItem(field=f.field, label=f.label, before=f.before, after=f.after)
                for f in p.fields
            ],
            indicators_created=[IndicatorItem.of(r) for r in p.created],
            indicators_removed=[IndicatorItem.of(r) for r in p.removed],
            indicators_kept=[IndicatorItem.of(r) for r in p.kept],
            targets_changed=p.changed,
        )


class TargetChange(BaseModel):
    """One indicator whose target the import changes: the changed fields before → after."""

    project: str
    level2: str
    indicator: str
    before: dict[str, Any]
    after: dict[str, Any] | None = Field(description="null：表中已无此指标，因已有实际完成值而保留")
    actual_kept: bool = Field(description="该指标已填报实际完成值（强制更新时保留）")
    note: str | None = None


class WarningItem(BaseModel):
    code: str
    message: str
    project_seq: int | None = None
    project: str | None = None
    indicator: str | None = None
    line: int | None = None


class UnparsedItem(BaseModel):
    seq: int
    project: str
    level2: str
    name: str
    raw: str


class TableSummary(BaseModel):
    title: str | None
    year: int | None
    total_wan: Decimal | None
    units: int
    projects: int
    indicators: int


PREVIEW_EXAMPLE: dict[str, Any] = {
    "upload_id": "k3Jx0Qm2yT8v1bq6H9wZcLr4sN7uPeA5dGfV0iXoYhM",
    "confirm_url": "/api/v1/target-tables/k3Jx0Qm2yT8v1bq6H9wZcLr4sN7uPeA5dGfV0iXoYhM/confirm",
    "fingerprint": "9f2c6d0e8b1a4c7f3e5d2b9a8c7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f",
    "sha256": "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
    "filename": "门源县应急管理局2023年绩效目标表.xlsx",
    "format": "auto",
    "detected_format": "xlsx",
    "size": 18432,
    "force_targets": False,
    "uploaded_at": "2024-01-08T02:15:00Z",
    "expires_at": "2024-01-08T04:15:00Z",
    "table": {
        "title": "门源县应急管理局2023年部门预算项目支出绩效目标公开表",
        "year": 2023,
        "total_wan": "135.99",
        "units": 2,
        "projects": 3,
        "indicators": 20,
    },
    "outcome": "updated",
    "created": {"units": 0, "projects": 0, "indicators": 1},
    "updated": {"units": 0, "projects": 1, "indicators": 1},
    "removed": {"units": 0, "projects": 0, "indicators": 1},
    "units": [],
    "projects": [
        {
            "unit_code": "309001",
            "unit_name": "门源县应急管理局",
            "seq": 1,
            "name": "全县安全生产监管专项",
            "amount_wan": "52.00",
            "indicator_count": 8,
            "action": "update",
            "touched": True,
            "fields": [{"field": "amount_wan", "label": "金额（万元）", "before": "50", "after": "52"}],
            "indicators_created": [
                {
                    "level2": "质量指标",
                    "name": "隐患整改率",
                    "occurrence": 1,
                    "target": "≥95%",
                    "points": None,
                }
            ],
            "indicators_removed": [
                {
                    "level2": "数量指标",
                    "name": "第三方专家咨询检查",
                    "occurrence": 1,
                    "target": "≥4次",
                    "points": None,
                }
            ],
            "indicators_kept": [],
            "targets_changed": 1,
        }
    ],
    "target_changes": [
        {
            "project": "全县安全生产监管专项",
            "level2": "数量指标",
            "indicator": "企业安全检查",
            "before": {"raw": "40次", "value": "40"},
            "after": {"raw": "45次", "value": "45"},
            "actual_kept": False,
            "note": None,
        }
    ],
    "kept": [],
    "warnings": [
        {
            "code": "level_weights_differ",
            "message": "一级指标分值与评分规则不同：产出指标 60（规则 50）",
            "project_seq": 1,
            "project": "全县安全生产监管专项",
            "indicator": None,
            "line": None,
        }
    ],
    "unparsed": [
        {"seq": 2, "project": "防震减灾工作经费", "level2": "质量指标", "name": "设备完好率", "raw": "≥9O%"}
    ],
}


class TargetTablePreview(BaseModel):
    """What confirming the upload would import (nothing is saved yet), as the upload page shows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [PREVIEW_EXAMPLE]})

    upload_id: str = Field(
        description="上传编号：确认、重新预览或取消时使用（仅上传者本人可用，2 小时内有效）"
    )
    confirm_url: str
    fingerprint: str = Field(description="预览内容的摘要；确认时原样提交，数据有变化时确认返回 409")
    sha256: str = Field(description="上传文件的 SHA-256")
    filename: str
    format: str = Field(description="上传时指定的格式（auto：自动识别）")
    detected_format: str | None
    size: int = Field(description="文件字节数")
    force_targets: bool = Field(description="已填报实际值的指标也按新表更新目标值")
    uploaded_at: datetime
    expires_at: datetime
    table: TableSummary
    outcome: Literal["created", "updated", "unchanged"] = Field(
        description="created：全部新建；updated：有更新；unchanged：与已导入的一致，确认后不修改数据"
    )
    created: Counts
    updated: Counts
    removed: Counts
    units: list[UnitChange] = Field(description="新建或更名的单位")
    projects: list[ProjectChange]
    target_changes: list[TargetChange] = Field(description="目标值修改的指标，修改前 → 修改后")
    kept: list[TargetChange] = Field(description="表中已无、因已有实际完成值而保留的指标")
    warnings: list[WarningItem]
    unparsed: list[UnparsedItem] = Field(description="未能识别的指标值（按原文导入，评分时需人工判断）")

    @classmethod
    def of(cls, preview: upload.Preview) -> TargetTablePreview:
        pending, table, plan = preview.pending, preview.table, preview.plan
        assert table is not None and plan is not None, "only a preview that can be confirmed"
        return cls(
            upload_id=pending.token,
            confirm_url=f"/api/v1/target-tables/{pending.token}/confirm",
            fingerprint=plan.fingerprint,
            sha256=pending.sha256,
            filename=pending.filename,
            format=pending.format,
            detected_format=preview.detected_format,
            size=pending.size,
            force_targets=pending.force_targets,
            uploaded_at=pending.created_at,
            expires_at=pending.expires_at,
            table=TableSummary(
                title=table.title,
                year=table.year,
                total_wan=table.total_wan,
                units=len(table.units),
                projects=len(table.projects),
                indicators=sum(len(p.indicators) for p in table.projects),
            ),
            outcome=plan.outcome,
            created=Counts.of(plan.created),
            updated=Counts.of(plan.updated),
            removed=Counts.of(plan.removed),
            units=[
                UnitChange(code=u.code, name=u.name, action=u.action, before_name=u.before_name)
                for u in plan.units
            ],
            projects=[ProjectChange.of(p) for p in plan.projects],
            target_changes=[TargetChange(**c) for c in plan.target_changes],
            kept=[TargetChange(**c) for c in plan.kept_changes],
            warnings=[WarningItem(**w) for w in preview.warnings],
            unparsed=[UnparsedItem(**u) for u in preview.unparsed],
        )


class ConfirmBody(BaseModel):
    """Confirm an upload with the preview's fingerprint (and, optionally, the file's SHA-256)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"fingerprint": PREVIEW_EXAMPLE["fingerprint"]}]},
    )

    fingerprint: str = Field(pattern=SHA256_PATTERN, description="预览返回的 fingerprint")
    sha256: str | None = Field(
        None, pattern=SHA256_PATTERN, description="预览返回的 sha256（可选，提交时再核对）"
    )


class ImportRead(BaseModel):
    """The import that landed (one 导入批次), as the import history shows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": 17,
                    "source_name": "门源县应急管理局2023年绩效目标表.xlsx",
                    "sha256": PREVIEW_EXAMPLE["sha256"],
                    "year": 2023,
                    "outcome": "updated",
                    "imported_at": "2024-01-08T02:17:00Z",
                    "created": {"units": 0, "projects": 0, "indicators": 1},
                    "updated": {"units": 0, "projects": 1, "indicators": 1},
                    "removed": {"units": 0, "projects": 0, "indicators": 1},
                    "target_changes": 1,
                    "warnings": 1,
                }
            ]
        }
    )

    batch_id: int
    source_name: str
    sha256: str
    year: int | None
    outcome: Literal["created", "updated", "unchanged"]
    imported_at: datetime
    created: Counts
    updated: Counts
    removed: Counts
    target_changes: int = Field(description="目标值修改（及保留）的指标数")
    warnings: int = Field(description="导入时的警告条数")

    @classmethod
    def of(cls, batch: ImportBatch) -> ImportRead:
        counts = batch.counts or {}
        return cls(
            batch_id=batch.id,
            source_name=batch.source_name,
            sha256=batch.sha256,
            year=batch.year,
            outcome=batch.outcome,
            imported_at=batch.imported_at,
            created=Counts.of(counts.get("created", {})),
            updated=Counts.of(counts.get("updated", {})),
            removed=Counts.of(counts.get("removed", {})),
            target_changes=len(batch.changes or []),
            warnings=len(batch.warnings or []),
        )
