"""A self-contained scoring case: the input of ``jixiao score-case`` (contracts/README.md).

The same JSON shape is what a score snapshot stores to be re-scored later: ``snapshot_inputs``
writes it (targets as parsed objects, actuals in their contract forms, the full policy), and
``score_case`` reads it back. ``inputs_hash`` fingerprints it. PURE: no database, no web.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, get_args

from app.scoring.actuals import DateActual, GradeActual, NotApplicable, NumberActual, ReferenceActual
from app.scoring.engine import Adjustment, Budget, IndicatorLike, ProjectScore, ScoringError, score_project
from app.scoring.policy import Policy, PolicyError, policy_from_spec
from app.targets.types import Direction, ParsedIndicator, Target, decimal_str

# Every direction the engine scores, ``unparsed`` included (a target the importer could not read,
# graded by hand): a snapshot must store whatever submission and approval accept.
DIRECTIONS: tuple[str, ...] = get_args(Direction)


class CaseError(ValueError):
    """The case file itself is wrong (not JSON, a field missing or malformed). Message in Chinese."""


@dataclass
class Case:
    policy: Policy
    indicators: list[ParsedIndicator]
    actuals: list[Any]
    budget: Budget | None
    year: int | None
    adjustments: dict[int, Adjustment]

    def score(self) -> ProjectScore:
        return score_project(
            self.indicators, self.actuals, self.budget, self.policy, self.year, adjustments=self.adjustments
        )


def score_case(source: str | Mapping[str, Any], *, policy: Policy | None = None) -> ProjectScore:
    """Score a case given as JSON text or as an already-loaded dict.

    ``policy``: the case's policy already loaded (``source["policy"]`` is then not read again),
    for callers scoring many cases of one policy (``app.scoring.rescore``).
    """
    case = load_case(source, policy=policy)
    try:
        return case.score()
    except ScoringError as exc:
        raise CaseError(str(exc)) from None


def load_case(source: str | Mapping[str, Any], *, policy: Policy | None = None) -> Case:
    from app.targets.grammar import parse_target

    data = _load(source)
    if policy is None:
        try:
            policy = policy_from_spec(data.get("policy"))
        except PolicyError as exc:
            raise CaseError(str(exc)) from None
    year = data.get("year")
    if year is not None and not isinstance(year, int):
        try:
            year = int(str(year))
        except ValueError:
            raise CaseError(f"year 应为年份数字，收到“{year}”") from None
    rows = data.get("indicators")
    if not isinstance(rows, list) or not rows:
        raise CaseError("indicators 应为非空的指标列表")
    indicators: list[ParsedIndicator] = []
    actuals: list[Any] = []
    adjustments: dict[int, Adjustment] = {}
    for i, row in enumerate(rows):
        where = f"第 {i + 1} 个指标"
        if not isinstance(row, dict):
            raise CaseError(f"{where}应为对象")
        for key in ("level1", "name", "target"):
            if row.get(key) in (None, ""):
                raise CaseError(f"{where}缺少 {key}")
        level2 = str(row.get("level2") or "")
        raw_target = row["target"]
        if isinstance(raw_target, dict):
            target = _target_from_json_memo(raw_target, where)
        else:
            target = parse_target(str(raw_target), level2=level2 or None, year=year)
        direction = row.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            raise CaseError(f"{where}的 direction 应为 {'/'.join(DIRECTIONS)} 之一，收到“{direction}”")
        points = _decimal(row.get("points"), f"{where}的 points")
        indicators.append(
            ParsedIndicator(str(row["level1"]), level2, str(row["name"]), target, points, direction)
        )
        actuals.append(row.get("actual"))
        adj = row.get("adjustment")
        if adj is not None:
            if not isinstance(adj, dict) or adj.get("score") in (None, ""):
                raise CaseError(f'{where}的 adjustment 应为 {{"score": …, "reason": …}}')
            adjustments[i] = Adjustment(
                _decimal(adj["score"], f"{where}的复核得分"), str(adj.get("reason") or "")
            )
    budget = None
    if data.get("budget") is not None:
        b = data["budget"]
        if not isinstance(b, dict):
            raise CaseError('budget 应为 {"full_year_wan": …, "executed_wan": …}')
        budget = Budget(
            _decimal(b.get("full_year_wan"), "全年预算数"),
            _decimal(b.get("executed_wan"), "全年执行数"),
            _decimal(b.get("points"), "预算执行率分值"),
        )
    return Case(policy, indicators, actuals, budget, year, adjustments)


def snapshot_inputs(
    indicators: Sequence[IndicatorLike],
    actuals: Sequence[Any],
    budget: Budget | None,
    policy: Policy,
    year: int | None = None,
    adjustments: Mapping[int, Adjustment] | None = None,
) -> dict[str, Any]:
    """Everything needed to recompute a score, as case JSON (targets parsed, policy in full)."""
    rows = []
    for i, (ind, actual) in enumerate(zip(indicators, actuals, strict=True)):
        row: dict[str, Any] = {
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "target": ind.target.to_json(),
            "actual": actual_to_json(actual),
        }
        if ind.direction:
            row["direction"] = ind.direction
        if ind.points is not None:
            row["points"] = str(ind.points)
        if adjustments and adjustments.get(i) is not None:
            row["adjustment"] = {"score": str(adjustments[i].score), "reason": adjustments[i].reason}
        rows.append(row)
    out: dict[str, Any] = {"policy": policy.to_json(), "indicators": rows}
    if year is not None:
        out["year"] = year
    if budget is not None:
        out["budget"] = {
            "full_year_wan": _str(budget.full_year_wan),
            "executed_wan": _str(budget.executed_wan),
        }
        if budget.points is not None:
            out["budget"]["points"] = _str(budget.points)
    return out


def inputs_hash(inputs: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a case (sorted keys, decimals as strings)."""
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def actual_to_json(actual: Any) -> Any:
    """An actual in its contract form (strings and dicts pass through; typed actuals are written out)."""
    if isinstance(actual, NumberActual):
        return decimal_str(actual.value)
    if isinstance(actual, GradeActual):
        out = {"grade": actual.grade}
        if actual.score is not None:
            out["score"] = decimal_str(actual.score)
        return out
    if isinstance(actual, DateActual):
        return {"date": actual.date.isoformat()}
    if isinstance(actual, ReferenceActual):
        return {"baseline": decimal_str(actual.baseline), "value": decimal_str(actual.value)}
    if isinstance(actual, NotApplicable):
        return {"not_applicable": True}
    if isinstance(actual, Decimal):
        return str(actual)
    if isinstance(actual, date):
        return {"date": actual.isoformat()}
    return actual


def _target_from_json_memo(data: Mapping[str, Any], where: str) -> Target:
    """``target_from_json``, memoised on the JSON's items when they are all text (targets repeat
    across projects; a ``Target`` is immutable). Anything else, or invalid input, takes the plain
    path (and its error message)."""
    items = tuple(data.items())
    if all(type(v) is str or v is None for _, v in items):
        try:
            return _target_of_items(items)
        except CaseError:
            pass
    return target_from_json(data, where)


@lru_cache(maxsize=1 << 16)
def _target_of_items(items: tuple[tuple[str, Any], ...]) -> Target:
    return target_from_json(dict(items))


def target_from_json(data: Mapping[str, Any], where: str = "target") -> Target:
    """Inverse of ``Target.to_json``."""
    kind = data.get("kind")
    if kind not in ("numeric", "qualitative", "deadline", "reference", "unparsed"):
        raise CaseError(f"{where}的 target.kind 无效：“{kind}”")
    deadline = None
    if data.get("date"):
        try:
            deadline = date.fromisoformat(str(data["date"]))
        except ValueError:
            raise CaseError(f"{where}的 target.date 应为 YYYY-MM-DD") from None
    return Target(
        raw=str(data.get("raw") or ""),
        kind=kind,
        operator=data.get("operator"),
        value=_decimal(data.get("value"), f"{where}的 target.value"),
        unit=data.get("unit"),
        expected=data.get("expected"),
        deadline=deadline,
        reference=data.get("reference"),
    )


def _load(source: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    try:
        data = json.loads(source, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CaseError(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}") from None
    if not isinstance(data, dict):
        raise CaseError("评分用例应为 JSON 对象")
    return data


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CaseError(f"{what}应为数字，收到“{value}”")
    try:
        d = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CaseError(f"{what}应为数字，收到“{value}”") from None
    if not d.is_finite():
        raise CaseError(f"{what}应为数字，收到“{value}”")
    return d


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
