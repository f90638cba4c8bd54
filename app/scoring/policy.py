"""Scoring policies as data (docs/scoring-rules.md §11): a name, a version and validated settings.

Every alternative the spec names is a setting here (``setting = default (alternatives)`` in the
spec); the engine reads the settings and never branches on a policy's name. ``central_2020`` is the
built-in default. A policy serialises to ``{"name", "version", "settings"}`` so that a stored score
snapshot can carry it and be re-scored years later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_POLICY_NAME = "central_2020"

# Level-1 groups (一级指标) as the settings name them.
LEVEL1_KEYS = ("output", "cost", "benefit", "satisfaction")
LEVEL1_NAMES = {"output": "产出指标", "cost": "成本指标", "benefit": "效益指标", "satisfaction": "满意度指标"}

DEFAULT_SHARE_KEYWORDS = (
    "覆盖率", "合格率", "满意度", "满意率", "达标率", "及时率", "完成率", "发放率", "通过率", "知晓率",
    "出勤率", "到位率", "使用率", "利用率", "执行率", "精准率", "准确率", "正确率", "普及率", "参与率",
    "入学率", "巩固率", "就业率", "达成率", "兑现率", "结案率", "办结率", "处置率", "受理率", "验收率",
    "入库率", "留存率", "成活率", "保存率", "考核率", "检查率", "接种率", "救治率", "回复率", "响应率",
)  # fmt: skip


class PolicyError(ValueError):
    """Settings that do not form a valid policy (message in Chinese, one line per problem)."""


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level1Weights(_Settings):
    """§1 ``level1_weights``: points of 预算执行率 and of each level-1 group; they sum to 100.

    ``cost`` is the own weight of a level-1 成本指标 group and is used only with
    ``cost_level1 = own_weight``; by default (``share_output``) it is 0 and a 成本指标 group shares
    the 产出 weight.
    """

    budget: Decimal = Field(default=Decimal(10), ge=0, le=100)
    output: Decimal = Field(default=Decimal(50), ge=0, le=100)
    benefit: Decimal = Field(default=Decimal(30), ge=0, le=100)
    satisfaction: Decimal = Field(default=Decimal(10), ge=0, le=100)
    cost: Decimal = Field(default=Decimal(0), ge=0, le=100)

    @model_validator(mode="after")
    def _sum_is_100(self) -> Level1Weights:
        total = self.budget + self.output + self.benefit + self.satisfaction + self.cost
        if total != 100:
            raise ValueError(f"一级指标权重合计应为100，现为{_fmt(total)}")
        for key in ("budget", "output", "benefit", "satisfaction", "cost"):
            if getattr(self, key) != getattr(self, key).quantize(Decimal("0.01")):
                raise ValueError(f"权重“{key}”最多保留两位小数")
        return self


class Rounding(_Settings):
    """§8 ``rounding``: places 0–2, mode ``half_up`` (四舍五入) or ``down`` (截尾)."""

    places: int = Field(default=2, ge=0, le=2)
    mode: Literal["half_up", "down"] = "half_up"


class QualitativeScores(_Settings):
    """§5 default score of each grade, as a fraction of the indicator's points."""

    achieved: Decimal = Decimal("1")
    partial: Decimal = Decimal("0.7")
    not_achieved: Decimal = Decimal("0.3")


class ShareDetection(_Settings):
    """§4: which targets are shares (覆盖率, 合格率, 满意度 …): unit in ``units`` and a keyword in the name."""

    enabled: bool = True
    units: tuple[str, ...] = ("%",)
    keywords: tuple[str, ...] = DEFAULT_SHARE_KEYWORDS


class Consistency(_Settings):
    """§10 consistency warnings (never change a score)."""

    ahead_of_spending: Decimal = Field(default=Decimal("0.05"), ge=0)
    low_execution_rate: Decimal = Field(default=Decimal("0.80"), ge=0, le=1)


class PolicySettings(_Settings):
    """All named settings of docs/scoring-rules.md; defaults are ``central_2020``."""

    level1_weights: Level1Weights = Level1Weights()
    cost_level1: Literal["share_output", "own_weight"] = "share_output"
    weight_split: Literal["equal_within_level1", "equal_within_level2", "manual"] = "equal_within_level1"
    printed_points: Literal["authoritative", "must_match"] = "authoritative"
    empty_level1: Literal["move_to_benefit", "rescale_to_100", "error"] = "move_to_benefit"
    budget_cap: bool = True
    reverse_formula: Literal["ratio", "linear_deviation"] = "ratio"
    overachieve_ratio: Decimal = Field(default=Decimal("1.3"), gt=1)
    overachieve_penalty: Literal["none", "reviewer_adjusts"] = "none"
    qualitative_bands: str = "0.8/0.6"
    qualitative_scores: QualitativeScores = QualitativeScores()
    late_policy: Literal["partial", "zero", "per_month_minus_10pct"] = "partial"
    late_partial_fraction: Decimal = Field(default=Decimal("0.7"), ge=0, le=1)
    rounding: Rounding = Rounding()
    grades: str = "90/80/60"
    share_detection: ShareDetection = ShareDetection()
    consistency: Consistency = Consistency()
    # Entry rules (docs/scoring-rules.md "Entry rules"): what a clerk may enter, never how it scores.
    execution_above_budget: Literal["refuse", "warn"] = "refuse"
    share_over_100: Literal["refuse", "flag"] = "refuse"

    @field_validator("qualitative_bands", mode="before")
    @classmethod
    def _bands(cls, value: Any) -> str:
        achieved, partial = _split_numbers(value, 2, "qualitative_bands（如 0.8/0.6）")
        if not (0 < partial < achieved <= 1):
            raise ValueError("定性等级区间应满足 0 < 部分达成下限 < 达成下限 ≤ 1（如 0.8/0.6）")
        return f"{_fmt(achieved)}/{_fmt(partial)}"

    @field_validator("grades", mode="before")
    @classmethod
    def _grades(cls, value: Any) -> str:
        excellent, good, fair = _split_numbers(value, 3, "grades（如 90/80/60）")
        if not (100 >= excellent > good > fair >= 0):
            raise ValueError("等级分数线应满足 100 ≥ 优 > 良 > 中 ≥ 0（如 90/80/60）")
        return f"{_fmt(excellent)}/{_fmt(good)}/{_fmt(fair)}"

    @model_validator(mode="after")
    def _coherent(self) -> PolicySettings:
        cost = self.level1_weights.cost
        if self.cost_level1 == "share_output" and cost != 0:
            raise ValueError("成本指标与产出指标共用权重（cost_level1 = share_output）时，成本指标权重应为0")
        if self.cost_level1 == "own_weight" and cost == 0:
            raise ValueError(
                "成本指标单列权重（cost_level1 = own_weight）时，应在 level1_weights.cost 中给出权重"
            )
        achieved_min, partial_min = self.bands
        scores = self.qualitative_scores
        if not (achieved_min <= scores.achieved <= 1):
            raise ValueError(f"“达成”默认得分比例应在 {_fmt(achieved_min)}–1 之间")
        if not (partial_min <= scores.partial < achieved_min):
            raise ValueError(
                f"“部分达成”默认得分比例应在 {_fmt(partial_min)}–{_fmt(achieved_min)} 之间（不含上限）"
            )
        if not (0 <= scores.not_achieved < partial_min):
            raise ValueError(f"“未达成”默认得分比例应在 0–{_fmt(partial_min)} 之间（不含上限）")
        return self

    @property
    def bands(self) -> tuple[Decimal, Decimal]:
        achieved, partial = self.qualitative_bands.split("/")
        return Decimal(achieved), Decimal(partial)

    @property
    def grade_lines(self) -> tuple[Decimal, Decimal, Decimal]:
        excellent, good, fair = self.grades.split("/")
        return Decimal(excellent), Decimal(good), Decimal(fair)


@dataclass(frozen=True)
class Policy:
    """A named, versioned set of settings. Immutable: an edit makes a new version (§11)."""

    name: str
    version: int
    settings: PolicySettings = field(default_factory=PolicySettings)
    based_on: str | None = None  # "central_2020 v1" when derived from overrides

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "settings": self.settings.model_dump(mode="json"),
        }
        if self.based_on:
            out["based_on"] = self.based_on
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Policy:
        """Inverse of :meth:`to_json` (also what a score snapshot stores)."""
        try:
            name, version = str(data["name"]), int(data["version"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError("评分政策应包含 name、version 和 settings") from exc
        return cls(name, version, validate_settings(data.get("settings") or {}), data.get("based_on"))

    def with_overrides(
        self, overrides: dict[str, Any], *, name: str | None = None, version: int | None = None
    ) -> Policy:
        """A policy whose settings are these with ``overrides`` merged in (nested dicts or dotted keys).

        Without an explicit name the result is ``<name>+custom`` so that it is never mistaken for
        the stored version it came from.
        """
        if not overrides and name is None and version is None:
            return self
        merged = merge_settings(self.settings.model_dump(mode="json"), overrides)
        return Policy(
            name or f"{self.name}+custom",
            self.version if version is None else version,
            validate_settings(merged),
            based_on=None if name else f"{self.name} v{self.version}",
        )

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the canonical settings JSON: equal settings, equal fingerprint."""
        text = json.dumps(self.settings.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @cached_property
    def compiled(self) -> CompiledPolicy:
        return CompiledPolicy(self.settings)


class CompiledPolicy:
    """Per-policy constants precomputed for the engine's hot loop (plain attributes, no pydantic)."""

    __slots__ = (
        "weights", "cost_own_weight", "weight_split", "printed_must_match", "empty_level1", "budget_cap", "linear_deviation",
        "overachieve_ratio", "overachieve_review", "band_achieved", "band_partial", "grade_fraction",
        "late_policy", "late_fraction", "quantum", "rounding", "grade_lines", "share_enabled",
        "share_units", "share_keywords", "ahead_threshold", "low_rate",
    )  # fmt: skip

    def __init__(self, s: PolicySettings) -> None:
        w = s.level1_weights
        self.weights = {"budget": w.budget, "output": w.output, "cost": w.cost, "benefit": w.benefit,
                        "satisfaction": w.satisfaction}  # fmt: skip
        self.cost_own_weight = s.cost_level1 == "own_weight"
        self.weight_split = s.weight_split
        self.printed_must_match = s.printed_points == "must_match"
        self.empty_level1 = s.empty_level1
        self.budget_cap = s.budget_cap
        self.linear_deviation = s.reverse_formula == "linear_deviation"
        self.overachieve_ratio = s.overachieve_ratio
        self.overachieve_review = s.overachieve_penalty == "reviewer_adjusts"
        self.band_achieved, self.band_partial = s.bands
        q = s.qualitative_scores
        self.grade_fraction = {"achieved": q.achieved, "partial": q.partial, "not_achieved": q.not_achieved}
        self.late_policy = s.late_policy
        self.late_fraction = s.late_partial_fraction
        self.quantum = Decimal(1).scaleb(-s.rounding.places)
        self.rounding = ROUND_HALF_UP if s.rounding.mode == "half_up" else ROUND_DOWN
        self.grade_lines = s.grade_lines
        self.share_enabled = s.share_detection.enabled
        self.share_units = frozenset(s.share_detection.units)
        self.share_keywords = tuple(s.share_detection.keywords)
        self.ahead_threshold = s.consistency.ahead_of_spending
        self.low_rate = s.consistency.low_execution_rate

    def round_score(self, value: Decimal) -> Decimal:
        return value.quantize(self.quantum, rounding=self.rounding)


def validate_settings(data: dict[str, Any]) -> PolicySettings:
    """Validate a settings dict; :class:`PolicyError` lists the problems in Chinese."""
    try:
        return PolicySettings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"{loc}：{_message_zh(err)}")
        raise PolicyError("评分政策设置无效：" + "；".join(lines)) from exc


_MESSAGES_ZH = {
    "extra_forbidden": "未知的设置项",
    "literal_error": "应为 {expected} 之一",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "model_type": "应为对象",
    "string_type": "应为文本",
    "tuple_type": "应为列表",
}


def _message_zh(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    if "error" in ctx:  # our own validators already speak Chinese
        return str(ctx["error"])
    template = _MESSAGES_ZH.get(err["type"])
    if template is None:
        return str(err["msg"])
    try:
        return template.format(
            **{k: str(v).replace("'", "").replace(" or ", "、").replace(", ", "、") for k, v in ctx.items()}
        )
    except KeyError:
        return str(err["msg"])


def merge_settings(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base``; ``"rounding.places": 0`` is a nested key."""
    out = json.loads(json.dumps(base))
    for key, value in overrides.items():
        path = str(key).split(".")
        node = out
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        last = path[-1]
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            node[last] = merge_settings(node[last], value)
        else:
            node[last] = value
    return out


CENTRAL_2020 = Policy(DEFAULT_POLICY_NAME, 1, PolicySettings())
BUILTIN_POLICIES = {DEFAULT_POLICY_NAME: CENTRAL_2020}


def get_builtin_policy(name: str = DEFAULT_POLICY_NAME) -> Policy:
    try:
        return BUILTIN_POLICIES[name]
    except KeyError:
        known = "、".join(BUILTIN_POLICIES)
        raise PolicyError(f"未知的评分政策“{name}”（内置：{known}）") from None


def policy_from_spec(spec: str | dict[str, Any] | None) -> Policy:
    """The ``policy`` field of a score case: a name, a full policy JSON, or overrides of the default."""
    if spec is None or spec == "":
        return CENTRAL_2020
    if isinstance(spec, str):
        return get_builtin_policy(spec)
    if not isinstance(spec, dict):
        raise PolicyError("policy 应为政策名称或设置对象")
    if "settings" in spec:
        return Policy.from_json(spec)
    return CENTRAL_2020.with_overrides(spec)


def _split_numbers(value: Any, count: int, what: str) -> list[Decimal]:
    parts = list(value) if isinstance(value, list | tuple) else str(value).replace("／", "/").split("/")
    try:
        numbers = [Decimal(str(p).strip()) for p in parts]
    except InvalidOperation:
        numbers = []
    if len(numbers) != count or not all(n.is_finite() for n in numbers):
        raise ValueError(f"格式应为 {what}")
    return numbers


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
