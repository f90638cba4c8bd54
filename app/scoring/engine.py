"""The scoring engine (docs/scoring-rules.md): indicators + actuals + budget + policy → scores, explanations.

PURE: no database, no web. ``score_project`` is the one entry point; everything is ``Decimal``.
Order of work: read the actuals (§4a), give every indicator its points (§1), score each indicator
(§4–§7), apply reviewer adjustments (§5a), then the budget (§2), subtotals, total and grade (§8),
deviation-reason requirements (§9) and consistency warnings (§10).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from app.scoring import explain
from app.scoring.actuals import (
    GRADE_LABELS,
    ActualError,
    DateActual,
    GradeActual,
    NotApplicable,
    NumberActual,
    ReferenceActual,
    read_actual,
)
from app.scoring.policy import CENTRAL_2020, LEVEL1_NAMES, CompiledPolicy, Policy
from app.targets.types import ParsedTable, ParseWarning, Target, decimal_str, direction_of

ZERO = Decimal(0)
ONE = Decimal(1)
Q2 = Decimal("0.01")
Q4 = Decimal("0.0001")
TENTH = Decimal("0.1")
BLOCKING_FLAGS = frozenset({"missing_actual", "invalid_actual", "missing_baseline", "unscorable_target"})
_SHARE_LIMIT = {"%": Decimal(100), "‰": Decimal(1000)}


class ScoringError(ValueError):
    """The project cannot be scored as a whole (points not summing, an empty level under
    ``empty_level1 = error``, an unknown level 1, a bad reviewer adjustment). Message in Chinese."""


class IndicatorLike(Protocol):
    """What the engine needs of an indicator (``app.targets.types.ParsedIndicator`` fits)."""

    level1: str
    level2: str
    name: str
    target: Target
    points: Decimal | None
    direction: str | None


@dataclass(frozen=True, slots=True)
class Budget:
    """全年预算数 (the adjusted full-year budget, §2) and 全年执行数, in 万元."""

    full_year_wan: Decimal | None = None
    executed_wan: Decimal | None = None
    points: Decimal | None = None  # 分值 of 预算执行率 when the table's funds block prints it (§1)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """§5a: a reviewer's score for one indicator, with the reason; the computed score is kept."""

    score: Decimal
    reason: str


@dataclass(slots=True)
class IndicatorScore:
    name: str
    level1: str  # standard name of the level-1 group (产出指标 …)
    level2: str
    direction: str
    points: Decimal
    completion: Decimal | None
    score: Decimal | None  # computed, rounded; None when it cannot be scored
    flags: list[str]
    reason_required: bool
    explanation: str
    error: str | None = None  # why it cannot be scored (Chinese)
    adjusted_score: Decimal | None = None
    adjustment_reason: str | None = None

    @property
    def final_score(self) -> Decimal | None:
        """What the totals use: the reviewer's score when there is one (§5a)."""
        return self.score if self.adjusted_score is None else self.adjusted_score

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "level1": self.level1,
            "level2": self.level2,
            "direction": self.direction,
            "points": str(self.points),
            "completion": _s(self.completion),
            "score": _s(self.score),
            "adjusted_score": _s(self.adjusted_score),
            "adjustment_reason": self.adjustment_reason,
            "final_score": _s(self.final_score),
            "flags": list(self.flags),
            "reason_required": self.reason_required,
            "explanation": self.explanation,
            "error": self.error,
        }


@dataclass(slots=True)
class BudgetScore:
    full_year_wan: Decimal | None
    executed_wan: Decimal | None
    rate: Decimal | None  # 4 places
    points: Decimal
    score: Decimal | None
    reason_required: bool
    explanation: str
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "full_year_wan": _s(self.full_year_wan),
            "executed_wan": _s(self.executed_wan),
            "rate": _s(self.rate),
            "points": str(self.points),
            "score": _s(self.score),
            "reason_required": self.reason_required,
            "explanation": self.explanation,
            "error": self.error,
        }


@dataclass(slots=True)
class LevelScore:
    points: Decimal
    score: Decimal | None


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning (never changes a score, §10) or a blocking error; ``message`` in Chinese."""

    code: str
    message: str
    indicator: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"code": self.code, "message": self.message}
        if self.indicator is not None:
            out["indicator"] = self.indicator
        return out


@dataclass(slots=True)
class ProjectScore:
    policy: Policy
    indicators: list[IndicatorScore]
    budget: BudgetScore | None
    level1: dict[str, LevelScore]
    total: Decimal | None
    grade: str | None
    warnings: list[Notice] = field(default_factory=list)
    errors: list[Notice] = field(default_factory=list)  # what keeps the project from a total

    @property
    def complete(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The ``jixiao score-case`` output shape (contracts/README.md); decimals as strings."""
        policy: dict[str, Any] = {"name": self.policy.name, "version": self.policy.version}
        if self.policy.based_on:
            policy["based_on"] = self.policy.based_on
        return {
            "policy": policy,
            "budget": self.budget.to_json() if self.budget else None,
            "indicators": [i.to_json() for i in self.indicators],
            "level1": {k: {"points": str(v.points), "score": _s(v.score)} for k, v in self.level1.items()},
            "total": _s(self.total),
            "grade": self.grade,
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }


# ---------------------------------------------------------------------------------------------
# Entry point


def score_project(
    indicators: Sequence[IndicatorLike],
    actuals: Sequence[Any],
    budget: Budget | None = None,
    policy: Policy = CENTRAL_2020,
    year: int | None = None,
    *,
    adjustments: Mapping[int, Adjustment] | Sequence[Adjustment | None] | None = None,
) -> ProjectScore:
    """Score one project. ``actuals[i]`` belongs to ``indicators[i]`` and may be anything
    :func:`app.scoring.actuals.read_actual` reads (or None when not yet entered). ``year`` is the
    budget year, for completion dates written without one. ``adjustments`` maps an indicator's
    index to a reviewer adjustment.

    Raises :class:`ScoringError` when the project as a whole cannot be scored; an indicator that
    cannot be scored is reported in the result (score None, a flag, ``errors``) instead.
    """
    cp = policy.compiled
    n = len(indicators)
    if len(actuals) != n:
        raise ScoringError(f"实际完成值有 {len(actuals)} 个，指标有 {n} 个，应一一对应")

    directions: list[str] = [""] * n
    keys: list[str] = [""] * n
    read: list[Any] = [None] * n
    for i in range(n):
        ind = indicators[i]
        keys[i] = level1_key(ind.level1)
        direction = ind.direction or direction_of(ind.target, ind.level2)
        directions[i] = direction
        try:
            read[i] = read_actual(actuals[i], ind.target, direction=direction, year=year)
        except ActualError as exc:
            read[i] = exc

    budget_points = budget.points if budget is not None else None
    allocation = allocate_points(
        indicators, keys, [not isinstance(a, NotApplicable) for a in read], cp, budget_points
    )
    points = allocation.points

    results = [
        _score_indicator(indicators[i], directions[i], keys[i], read[i], points[i], cp) for i in range(n)
    ]
    if adjustments:
        _apply_adjustments(results, adjustments, cp)

    errors = [Notice(r.flags[0], r.error, r.name) for r in results if r.error is not None]
    budget_score = score_budget(budget, allocation.budget, cp) if budget is not None else None
    if budget_score is not None and budget_score.error:
        errors.append(Notice("budget_invalid", budget_score.error))

    # §8: subtotals and total are sums of the rounded (or reviewer-adjusted) scores.
    sums: dict[str, list] = {}
    for r in results:
        acc = sums.get(r.level1)
        if acc is None:
            acc = sums[r.level1] = [Q2 * 0, Q2 * 0, True]
        acc[0] += r.points
        if r.error is not None:
            acc[2] = False
        elif r.score is not None:
            acc[1] += r.final_score
    level1 = {
        name: LevelScore(sums[name][0], sums[name][1] if sums[name][2] else None)
        for name in LEVEL_ORDER
        if name in sums
    }

    total: Decimal | None = None
    grade: str | None = None
    if not errors:
        total = sum((v.score for v in level1.values()), Q2 * 0)
        if budget_score is not None:
            total += budget_score.score
            grade = grade_of(total, cp)
    warnings = _warnings(results, budget_score, level1, budget is None, cp)
    if (differ := allocation.warning()) is not None:
        warnings.insert(0, differ)
    return ProjectScore(policy, results, budget_score, level1, total, grade, warnings, errors)


LEVEL_ORDER = tuple(LEVEL1_NAMES[k] for k in ("output", "cost", "benefit", "satisfaction"))
_LEVEL1_PREFIXES = (("产出", "output"), ("成本", "cost"), ("效益", "benefit"), ("满意", "satisfaction"),
                    ("服务对象满意", "satisfaction"))  # fmt: skip
_level1_cache: dict[str, str] = {}


def level1_key(name: str) -> str:
    """``output`` | ``cost`` | ``benefit`` | ``satisfaction`` for a level-1 name (产出指标, 成本指标 …)."""
    key = _level1_cache.get(name)
    if key is None:
        text = (name or "").strip()
        key = next((k for prefix, k in _LEVEL1_PREFIXES if text.startswith(prefix)), None)
        if key is None:
            raise ScoringError(f"无法识别的一级指标“{name}”（应为产出指标、成本指标、效益指标或满意度指标）")
        _level1_cache[name] = key
    return key


def grade_of(total: Decimal, cp: CompiledPolicy) -> str:
    """§8: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below (``grades`` setting)."""
    excellent, good, fair = cp.grade_lines
    if total >= excellent:
        return "优"
    if total >= good:
        return "良"
    return "中" if total >= fair else "差"


# ---------------------------------------------------------------------------------------------
# Points (§1)


def split_equal(total: Decimal, n: int) -> list[Decimal]:
    """``total`` over ``n`` parts rounded to 0.01, the remainder on the last (50/13 → 3.85×12 + 3.80).

    Should the remainder make the last part negative (only with very many parts), the cents are
    spread instead: each part rounded down, one extra cent on each of the last parts.
    """
    if n <= 0:
        return []
    q = (total / n).quantize(Q2, ROUND_HALF_UP)
    last = total - q * (n - 1)
    if last >= 0:
        return [q] * (n - 1) + [last]
    base = (total / n).quantize(Q2, ROUND_DOWN)
    cents = int((total - base * n) / Q2)
    return [base] * (n - cents) + [base + Q2] * cents


def split_proportional(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` in proportion to ``weights``, rounded to 0.01, the remainder on the last part."""
    s = sum(weights, ZERO)
    if s == 0:
        return split_equal(total, len(weights))
    parts = [(total * w / s).quantize(Q2, ROUND_HALF_UP) for w in weights[:-1]]
    last = total - sum(parts, ZERO)
    if last >= 0:
        return [*parts, last]
    floors = [(total * w / s).quantize(Q2, ROUND_DOWN) for w in weights]
    cents = int((total - sum(floors, ZERO)) / Q2)
    return [f + (Q2 if i >= len(floors) - cents else ZERO) for i, f in enumerate(floors)]


def group_weights(present: set[str], cp: CompiledPolicy) -> dict[str, Decimal]:
    """The policy's weight of each point pool (output, cost when it has its own weight, benefit,
    satisfaction) after §1's handling of empty groups (``empty_level1``). Pools in ``present``
    have indicators."""
    w = {
        "output": cp.weights["output"],
        "benefit": cp.weights["benefit"],
        "satisfaction": cp.weights["satisfaction"],
    }
    if cp.cost_own_weight:
        if "cost" in present:
            w = {"output": w["output"], "cost": cp.weights["cost"], "benefit": w["benefit"],
                 "satisfaction": w["satisfaction"]}  # fmt: skip
        else:  # no level-1 成本指标 (older template): its weight goes back to 产出
            w["output"] += cp.weights["cost"]
    return _redistribute(w, present, cp)


def _redistribute(w: dict[str, Decimal], present: set[str], cp: CompiledPolicy) -> dict[str, Decimal]:
    """The weights of the pools in ``present``: the weight of every other pool of ``w`` moves as
    ``empty_level1`` says (to 效益, rescaled over the rest, or an error)."""
    empty = [k for k in w if k not in present]
    if not empty:
        return w
    if len(empty) == len(w):
        raise ScoringError("项目没有可评分的绩效指标")
    if cp.empty_level1 == "error":
        names = "、".join(LEVEL1_NAMES[k] for k in empty)
        raise ScoringError(f"项目缺少{names}，按评分政策（empty_level1 = error）不能评分")
    keep = [k for k in w if k in present]
    if cp.empty_level1 == "move_to_benefit" and "benefit" in present:
        moved = sum((w[k] for k in empty), ZERO)
        return {k: w[k] + (moved if k == "benefit" else ZERO) for k in keep}
    # rescale_to_100, or move_to_benefit with no 效益指标 to move to: scale the rest proportionally.
    total = sum(w.values(), ZERO)
    return dict(zip(keep, split_proportional(total, [w[k] for k in keep]), strict=True))


@dataclass(frozen=True, slots=True)
class Allocation:
    """§1: the points of every indicator, the budget execution weight, and where the table's own
    split differs from the policy's (``(label, table, rule)``, empty when it follows the policy)."""

    points: list[Decimal]
    budget: Decimal
    differences: list[tuple[str, Decimal, Decimal]]

    def warning(self) -> Notice | None:
        if not self.differences:
            return None
        return Notice(
            "level_weights_differ", f"一级指标分值与评分规则不同：{_differences_text(self.differences)}"
        )


def allocate_points(
    indicators: Sequence[IndicatorLike],
    keys: Sequence[str],
    active: Sequence[bool],
    cp: CompiledPolicy,
    budget_points: Decimal | None = None,
    *,
    refuse_differences: bool = True,
) -> Allocation:
    """Points of every indicator and the budget weight (§1). Without printed points the policy
    splits each level-1 weight (``weight_split``); with them the table's points are authoritative
    (``printed_points``). 不适用 indicators get 0 and their group's weight is re-split over the rest
    (in proportion to their points). ``refuse_differences=False`` reports differences instead of
    refusing them under ``printed_points = must_match`` (an import is never refused for points)."""
    n = len(indicators)
    pools = [k if (k != "cost" or cp.cost_own_weight) else "output" for k in keys]
    given = [ind.points for ind in indicators]
    for i, p in enumerate(given):
        if p is not None and (p < 0 or p != p.quantize(Q2)):
            raise ScoringError(
                f"指标“{indicators[i].name}”的分值应为不小于 0、最多两位小数的数，收到 {decimal_str(p)}"
            )
    if cp.weight_split == "manual" and None in given:
        missing = "、".join(indicators[i].name for i in range(n) if given[i] is None)
        raise ScoringError(f"按评分政策（weight_split = manual）每个指标都应给出分值；未给出：{missing}")
    members: dict[str, list[int]] = {}
    for i in range(n):
        if active[i]:
            members.setdefault(pools[i], []).append(i)
    if all(p is None for p in given):
        return Allocation(_policy_split(indicators, members, n, cp), cp.weights["budget"], [])
    allocation = _printed_split(indicators, pools, given, members, cp, budget_points)
    if allocation.differences and cp.printed_must_match and refuse_differences:
        raise ScoringError(
            f"表中分值与评分规则不一致（printed_points = must_match）：{_differences_text(allocation.differences)}"
        )
    return allocation


def _policy_split(
    indicators: Sequence[IndicatorLike], members: dict[str, list[int]], n: int, cp: CompiledPolicy
) -> list[Decimal]:
    """§1 without printed points: each level-1 weight split equally (``weight_split``)."""
    weights = group_weights(set(members), cp)
    points = [ZERO.quantize(Q2)] * n
    for pool, idxs in members.items():
        if cp.weight_split == "equal_within_level2":
            groups: dict[str, list[int]] = {}
            for i in idxs:
                groups.setdefault(indicators[i].level2 or "", []).append(i)
            shares = split_equal(weights[pool], len(groups))
            for share, sub in zip(shares, groups.values(), strict=True):
                for i, p in zip(sub, split_equal(share, len(sub)), strict=True):
                    points[i] = p
        else:
            for i, p in zip(idxs, split_equal(weights[pool], len(idxs)), strict=True):
                points[i] = p
    return points


def _printed_split(
    indicators: Sequence[IndicatorLike],
    pools: list[str],
    given: list[Decimal | None],
    members: dict[str, list[int]],
    cp: CompiledPolicy,
    budget_points: Decimal | None,
) -> Allocation:
    """§1 with printed points: an indicator's points are its ``W``; indicators without points share
    what is left of their group's policy weight; a group weighs the sum of its points."""
    n = len(indicators)
    rule = group_weights(set(pools), cp)
    nominal: list[Decimal] = [ZERO] * n
    table: dict[str, Decimal] = {}
    for pool in dict.fromkeys(pools):
        idxs = [i for i in range(n) if pools[i] == pool]
        unprinted = [i for i in idxs if given[i] is None]
        printed_sum = sum((given[i] for i in idxs if given[i] is not None), ZERO)
        if unprinted:
            left = rule[pool] - printed_sum
            if left <= 0:
                names = "、".join(f"“{indicators[i].name}”" for i in unprinted)
                raise ScoringError(
                    f"指标{names}没有分值，{_pool_label(pool, indicators, cp)}的规则分值 "
                    f"{decimal_str(rule[pool])} 已被其余指标的分值用完，请在表中补齐分值"
                )
            for i, p in zip(unprinted, split_equal(left, len(unprinted)), strict=True):
                nominal[i] = p
        for i in idxs:
            if given[i] is not None:
                nominal[i] = given[i].quantize(Q2)
        table[pool] = sum((nominal[i] for i in idxs), ZERO)

    weights = _redistribute(table, set(members), cp) if set(members) != set(table) else table
    points = [ZERO.quantize(Q2)] * n
    for pool, idxs in members.items():
        own = [nominal[i] for i in idxs]
        parts = own if sum(own, ZERO) == weights[pool] else split_proportional(weights[pool], own)
        for i, p in zip(idxs, parts, strict=True):
            points[i] = p

    budget = cp.weights["budget"]
    if budget_points is not None:
        budget = budget_points.quantize(Q2)
    elif None not in given and 0 <= 100 - sum(table.values(), ZERO) <= 100:
        budget = 100 - sum(table.values(), ZERO)
    differences = [
        (_pool_label(pool, indicators, cp), table[pool], rule[pool])
        for pool in _POOL_ORDER
        if pool in table and table[pool] != rule[pool]
    ]
    if budget != cp.weights["budget"]:
        differences.append(("预算执行率", budget, cp.weights["budget"]))
    total = budget + sum(table.values(), ZERO)
    if total != 100:
        differences.append(("合计", total, Decimal(100)))
    return Allocation(points, budget.quantize(Q2), differences)


def _differences_text(differences: Sequence[tuple[str, Decimal, Decimal]]) -> str:
    return "、".join(
        f"{label} {decimal_str(got)}（规则 {decimal_str(rule)}）" for label, got, rule in differences
    )


_POOL_ORDER = ("output", "cost", "benefit", "satisfaction")


def points_warnings(table: ParsedTable, policy: Policy = CENTRAL_2020) -> list[ParseWarning]:
    """§1 at import: how each project's printed points will be used under ``policy`` — a level
    split that differs from the policy (``level_weights_differ``), indicators without points that
    share what is left (``points_incomplete``), points that cannot be used (``points_unusable``).
    Warnings only: an import is never refused for its points."""
    out: list[ParseWarning] = []
    for project in table.projects:
        inds = project.indicators
        missing = [i.name for i in inds if i.points is None]
        if not inds or len(missing) == len(inds):
            continue
        if missing:
            shown = "、".join(missing[:5]) + ("等" if len(missing) > 5 else "")
            message = f"{len(missing)} 个指标没有分值（{shown}），按评分规则分摊所在一级指标剩余的分值"
            out.append(ParseWarning("points_incomplete", message, project_seq=project.seq))
        try:
            keys = [level1_key(i.level1) for i in inds]
            allocation = allocate_points(
                inds,
                keys,
                [True] * len(inds),
                policy.compiled,
                project.budget_points,
                refuse_differences=False,
            )
        except ScoringError as exc:
            out.append(ParseWarning("points_unusable", f"{exc}（提交前须修正）", project_seq=project.seq))
            continue
        notice = allocation.warning()
        if notice is not None:
            message = notice.message
            if policy.compiled.printed_must_match:
                message += "；评分规则要求一致（printed_points = must_match），提交时将不能评分"
            out.append(ParseWarning(notice.code, message, project_seq=project.seq))
    return out


def _pool_label(pool: str, indicators: Sequence[IndicatorLike], cp: CompiledPolicy) -> str:
    label = LEVEL1_NAMES[pool]
    if (
        pool == "output"
        and not cp.cost_own_weight
        and any(level1_key(i.level1) == "cost" for i in indicators)
    ):
        label += "（含成本指标）"
    return label


# ---------------------------------------------------------------------------------------------
# One indicator (§4–§7)


def _score_indicator(
    ind: IndicatorLike, direction: str, key: str, actual: Any, w: Decimal, cp: CompiledPolicy
) -> IndicatorScore:
    level1 = LEVEL1_NAMES[key]
    if isinstance(actual, ActualError):
        flag = actual.code
        shown = "qualitative" if direction == "unparsed" else direction
        return IndicatorScore(ind.name, level1, ind.level2, shown, w, None, None, [flag], False,
                              f"不能评分：{actual.message}", actual.message)  # fmt: skip
    if isinstance(actual, NotApplicable):
        return IndicatorScore(ind.name, level1, ind.level2, direction, w, None, None, ["not_applicable"], True,
                              "不适用：不计分，所在一级指标的分值由其余指标分摊")  # fmt: skip
    target = ind.target
    flags: list[str] = []
    if isinstance(actual, NumberActual):
        t = target.value
        if t is None:
            return _unscorable(ind, direction, level1, w, f"年度指标值“{target.raw}”没有可比较的数值")
        a = actual.value
        u = target.unit or ""
        written = actual.text if actual.converted else None
        if direction == "zero_target":
            raw = w if a <= 0 else ZERO
            s = _finish(raw, w, cp)
            return _done(ind, direction, level1, w, None, s, flags, explain.zero_target(a, u, w, written))
        if direction == "reverse":
            return _reverse(ind, direction, level1, a, t, u, w, cp, "反向指标", written)
        return _positive(ind, direction, level1, a, t, u, w, cp, "正向指标", written)
    if isinstance(actual, GradeActual):
        return _qualitative(ind, level1, actual, w, cp)
    if isinstance(actual, DateActual):
        due = target.deadline
        if due is None:
            return _unscorable(ind, direction, level1, w, f"年度指标值“{target.raw}”没有可比较的截止日期")
        return _deadline(ind, level1, actual.date, due, w, cp)
    if isinstance(actual, ReferenceActual):
        head = f"参照指标（基数：{target.reference or '参照值'}）"
        if target.operator in ("<=", "<"):
            return _reverse(ind, "reference", level1, actual.value, actual.baseline, "", w, cp, head)
        return _positive(ind, "reference", level1, actual.value, actual.baseline, "", w, cp, head)
    raise TypeError(f"unexpected actual {actual!r}")  # pragma: no cover


def _positive(ind, direction, level1, a, t, u, w, cp, head, written=None) -> IndicatorScore:
    """§4 positive: A ≥ T → W, else W × A / T; T = 0 → W if A ≥ 0; negative A scores 0."""
    flags: list[str] = []
    if t > 0:
        completion = (a / t).quantize(Q4, ROUND_HALF_UP)
        raw = w if a >= t else (ZERO if a < 0 else w * a / t)
    else:
        completion = None
        raw = w if a >= t and a >= 0 else ZERO
    s = _finish(raw, w, cp)
    text = explain.positive(a, t, u, w, s, head, written)
    if t > 0 and a >= cp.overachieve_ratio * t:
        flags.append("overachieved")
        text += explain.overachieved(a, t, cp.overachieve_ratio)
        if cp.overachieve_review:
            flags.append("review_required")
    if cp.share_enabled:
        limit = _SHARE_LIMIT.get(ind.target.unit or "")
        if limit is not None and a > limit and _is_share(ind, cp):
            flags.append("share_over_100")
            text += explain.share_over_100(u)
    return _done(ind, direction, level1, w, completion, s, flags, text)


def _reverse(ind, direction, level1, a, t, u, w, cp, head, written=None) -> IndicatorScore:
    """§4 reverse: A ≤ T → W; else ``ratio`` W × T / A or ``linear_deviation`` W × max(0, 1 − (A−T)/T)."""
    completion = (t / a).quantize(Q4, ROUND_HALF_UP) if t != 0 and a != 0 else None
    if a <= t:
        raw = w
    elif t <= 0:
        raw = ZERO
    elif cp.linear_deviation:
        raw = w * max(ZERO, ONE - (a - t) / t)
    else:
        raw = w * t / a
    s = _finish(raw, w, cp)
    flags: list[str] = []
    text = explain.reverse(a, t, u, w, s, cp.linear_deviation, head, written)
    if cp.share_enabled:
        limit = _SHARE_LIMIT.get(ind.target.unit or "")
        if limit is not None and a > limit and _is_share(ind, cp):
            flags.append("share_over_100")
            text += explain.share_over_100(u)
    return _done(ind, direction, level1, w, completion, s, flags, text)


def _qualitative(ind, level1, actual: GradeActual, w: Decimal, cp: CompiledPolicy) -> IndicatorScore:
    """§5: each grade has a band of W and a default score; a hand-set score must lie in its band."""
    fraction = cp.grade_fraction[actual.grade]
    label = GRADE_LABELS[actual.grade]
    band = None
    if actual.score is not None:
        lo, hi = _band(actual.grade, w, cp)
        top_inclusive = actual.grade == "achieved"
        if not (lo <= actual.score <= hi if top_inclusive else lo <= actual.score < hi):
            bound = "" if top_inclusive else f"（不含 {hi}）"
            msg = f"“{label}”的评分应在 {lo}–{hi} 之间{bound}，收到 {decimal_str(actual.score)}"
            return IndicatorScore(ind.name, level1, ind.level2, "qualitative", w, None, None, ["invalid_actual"],
                                  False, f"不能评分：{msg}", msg)  # fmt: skip
        s = _finish(actual.score, w, cp)
        band = (lo, hi)
    else:
        s = _finish(w * fraction, w, cp)
    text = explain.qualitative(label, w, s, fraction, band)
    return _done(ind, "qualitative", level1, w, fraction.quantize(Q4), s, [], text)


def _band(grade: str, w: Decimal, cp: CompiledPolicy) -> tuple[Decimal, Decimal]:
    achieved, partial = (w * cp.band_achieved).quantize(Q2), (w * cp.band_partial).quantize(Q2)
    if grade == "achieved":
        return achieved, w
    if grade == "partial":
        return partial, achieved
    return ZERO.quantize(Q2), partial


def _deadline(ind, level1, done: date, due: date, w: Decimal, cp: CompiledPolicy) -> IndicatorScore:
    """§6: on or before the deadline → W; late → ``late_policy``."""
    flags: list[str] = []
    months = 0
    if done <= due:
        fraction = ONE
    else:
        flags.append("late")
        if cp.late_policy == "zero":
            fraction = ZERO
        elif cp.late_policy == "per_month_minus_10pct":
            months = months_late(done, due)
            fraction = max(ZERO, ONE - TENTH * months)
        else:
            fraction = cp.late_fraction
    s = _finish(w * fraction, w, cp)
    text = explain.deadline(done, due, w, s, cp.late_policy, fraction, months)
    return _done(ind, "deadline", level1, w, fraction.quantize(Q4), s, flags, text)


def months_late(done: date, due: date) -> int:
    """Started months after the deadline: the smallest n with ``done ≤ due + n months`` (a
    month-end deadline moves to month ends)."""
    n = 1
    while done > _add_months(due, n) and n < 1200:
        n += 1
    return n


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    month_end = d.day == calendar.monthrange(d.year, d.month)[1]
    return date(year, month, last if month_end else min(d.day, last))


def _is_share(ind: IndicatorLike, cp: CompiledPolicy) -> bool:
    return (ind.target.unit or "") in cp.share_units and any(k in ind.name for k in cp.share_keywords)


def _finish(raw: Decimal, w: Decimal, cp: CompiledPolicy) -> Decimal:
    """§8 rounding; full marks stay exactly W and a rounded score never exceeds W (§4)."""
    if raw >= w:
        return w
    s = raw.quantize(cp.quantum, rounding=cp.rounding)
    return w if s > w else s


def _done(ind, direction, level1, w, completion, s, flags, text) -> IndicatorScore:
    # §9: a deviation reason is required when points are lost or a flag is raised.
    return IndicatorScore(
        ind.name, level1, ind.level2, direction, w, completion, s, flags, s < w or bool(flags), text
    )


def _unscorable(ind, direction, level1, w, msg) -> IndicatorScore:
    return IndicatorScore(ind.name, level1, ind.level2, direction, w, None, None, ["unscorable_target"], False,
                          f"不能评分：{msg}", msg)  # fmt: skip


def _apply_adjustments(results: list[IndicatorScore], adjustments: Any, cp: CompiledPolicy) -> None:
    """§5a: store the reviewer's score beside the computed one; totals use it."""
    items = adjustments.items() if isinstance(adjustments, Mapping) else enumerate(adjustments)
    for i, adj in items:
        if adj is None:
            continue
        if not 0 <= i < len(results):
            raise ScoringError(f"复核调整指向不存在的第 {i + 1} 个指标")
        r = results[i]
        reason = (adj.reason or "").strip()
        if not reason:
            raise ScoringError(f"指标“{r.name}”的复核调整应说明理由")
        if r.score is None:
            raise ScoringError(f"指标“{r.name}”尚未评分，不能复核调整")
        score = Decimal(adj.score)
        if not (0 <= score <= r.points):
            raise ScoringError(f"指标“{r.name}”的复核得分应在 0–{r.points} 之间，收到 {decimal_str(score)}")
        r.adjusted_score = min(score.quantize(cp.quantum, rounding=cp.rounding), r.points)
        r.adjustment_reason = reason
        if "review_required" in r.flags:
            r.flags.remove("review_required")
        r.explanation += explain.adjusted(r.adjusted_score, reason)


# ---------------------------------------------------------------------------------------------
# Budget (§2), warnings (§10)


def score_budget(budget: Budget, weight: Decimal, cp: CompiledPolicy) -> BudgetScore:
    """§2: rate = 全年执行数 / 全年预算数; S = W_budget × min(rate, 1) (``budget_cap``); ``weight``
    is W_budget as §1 sets it (printed, 100 − Σ points, or the policy's)."""
    w = weight.quantize(Q2)
    fy, ex = budget.full_year_wan, budget.executed_wan
    error = None
    if fy is None:
        error = "未填写全年预算数，无法计算预算执行率"
    elif fy <= 0:
        error = "全年预算数为 0，无法计算预算执行率"
    elif ex is None:
        error = "未填写全年执行数，无法计算预算执行率"
    elif ex < 0:
        error = "全年执行数不能为负数"
    if error:
        return BudgetScore(fy, ex, None, w, None, False, f"不能评分：{error}", error)
    rate = ex / fy
    rate_q = rate.quantize(Q4, ROUND_HALF_UP)
    raw = w * min(rate, ONE) if cp.budget_cap else w * rate
    s = _finish(raw, w, cp) if cp.budget_cap else raw.quantize(cp.quantum, rounding=cp.rounding)
    text = f"预算执行率 = {decimal_str(ex)} ÷ {decimal_str(fy)} = {explain.pct(rate_q)}，"
    if s == w:
        text += f"得满分 {w}"
    else:
        text += f"得分 = {w} × {decimal_str(ex)} ÷ {decimal_str(fy)} = {s}"
    return BudgetScore(fy, ex, rate_q, w, s, rate < 1, text)


def _warnings(
    results, budget: BudgetScore | None, level1, budget_missing: bool, cp: CompiledPolicy
) -> list[Notice]:
    """§10 consistency warnings and reminders; they never change a score."""
    out: list[Notice] = []
    if budget_missing:
        out.append(
            Notice("budget_missing", "未提供预算执行数据：预算执行率不计分，总分只含绩效指标部分，不评定等级")
        )
    for r in results:
        if "overachieved" in r.flags:
            out.append(
                Notice(
                    "overachieved",
                    f"实际达到目标的 {explain.pct(cp.overachieve_ratio)} 以上，需说明偏差原因",
                    r.name,
                )
            )
        if "share_over_100" in r.flags:
            out.append(Notice("share_over_100", "比率超过 100%，可能是填报错误，请核实", r.name))
    if budget is None or budget.score is None:
        return out
    scores = [v.score for v in level1.values()]
    points = sum((v.points for v in level1.values()), ZERO)
    if None not in scores and points > 0 and budget.points > 0:
        perf = sum(scores, ZERO) / points  # ΣS_indicators / 90
        spend = budget.score / budget.points  # S_budget / 10
        if perf > 0 and (perf - spend) / perf > cp.ahead_threshold:
            out.append(
                Notice(
                    "ahead_of_spending",
                    f"绩效指标得分率 {explain.pct(perf.quantize(Q4))} 明显高于预算执行得分率 "
                    f"{explain.pct(spend.quantize(Q4))}（相差超过 {explain.pct(cp.ahead_threshold)}），请核实",
                )
            )
    if budget.rate is not None and budget.rate > ONE:
        out.append(
            Notice(
                "execution_above_budget",
                f"全年执行数超过全年预算数（预算执行率 {explain.pct(budget.rate)}），请核实",
            )
        )
    if budget.rate is not None and budget.rate < cp.low_rate:
        out.append(
            Notice(
                "low_execution_rate", f"预算执行率 {explain.pct(budget.rate)} 低于 {explain.pct(cp.low_rate)}"
            )
        )
    return out


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
