"""Request and response bodies of the review API (with the examples shown at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.db.models import ProjectStatusEvent
from app.submissions.status import STATUS_LABELS, STEPS


class ReviewCreate(BaseModel):
    """审核结论：``approve`` 通过，``return`` 退回（必须填写意见）。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "approve", "comment": "材料齐全，同意"},
                {"decision": "return", "comment": "“企业安全检查”实际完成值与台账不符，请核实后重新提交"},
            ]
        }
    )

    decision: Literal["approve", "return"] = Field(description="approve：审核通过；return：退回修改")
    comment: str | None = Field(default=None, max_length=2000, description="审核意见；退回时必填")


class ReopenCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "单位申请更正全年执行数"}]})

    comment: str = Field(max_length=2000, description="重新打开的原因（必填）")


class StatusEventRead(BaseModel):
    """状态历史中的一步。"""

    from_status: str
    to_status: str
    to_status_label: str
    step: str
    actor: str
    comment: str | None
    at: datetime

    @classmethod
    def of(cls, e: ProjectStatusEvent) -> StatusEventRead:
        return cls(
            from_status=e.from_status,
            to_status=e.to_status,
            to_status_label=STATUS_LABELS.get(e.to_status, e.to_status),
            step=STEPS.get((e.from_status, e.to_status), ""),
            actor=e.actor_name,
            comment=e.comment,
            at=e.at,
        )


class ReviewRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 12,
                    "status": "returned",
                    "status_label": "已退回",
                    "version": 4,
                    "event": {
                        "from_status": "submitted",
                        "to_status": "returned",
                        "to_status_label": "已退回",
                        "step": "退回",
                        "actor": "fin",
                        "comment": "请补充偏差原因",
                        "at": "2024-03-01T08:00:00Z",
                    },
                }
            ]
        }
    )

    project_id: int
    status: str
    status_label: str
    version: int
    event: StatusEventRead


class HistoryRead(BaseModel):
    project_id: int
    status: str
    status_label: str
    events: list[StatusEventRead]


class AdjustmentCreate(BaseModel):
    """复核调整（§5a）：给出 ``score``（调整后得分）或 ``target``（调整后指标值），并说明理由。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"score": "8.5", "reason": "台账显示部分检查未留存记录"},
                {"target": "≥40次", "reason": "年中预算调减，指标值相应调整"},
            ]
        }
    )

    score: str | None = Field(default=None, max_length=20, description="调整后得分（0 至该指标分值）")
    target: str | None = Field(default=None, max_length=200, description="调整后指标值，如 ≥40次")
    reason: str = Field(max_length=2000, description="调整理由（必填）")
