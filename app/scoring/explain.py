"""One-line Chinese explanations a clerk can check by hand (docs/scoring-rules.md §12).

Each function gets the numbers the engine used and returns e.g.
``反向指标：实际 12万元 > 目标 10万元，得分 = 3.85 × 10 ÷ 12 = 3.21``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.targets.types import decimal_str


def num(value: Decimal) -> str:
    """A decimal as a clerk writes it (``45``, ``18.5``, ``900``): ``decimal_str``, fast for the usual case."""
    text = str(value)
    if "E" in text or ("." in text and text[-1] == "0"):
        return decimal_str(value)
    return text


def pct(fraction: Decimal) -> str:
    """0.7 → ``70%``."""
    return f"{num(fraction * 100)}%"


def actual(a: Decimal, u: str, written: str | None = None) -> str:
    """``12万元``, or ``3.5万元（填报“35000元”）`` when the clerk wrote another unit."""
    return f"{num(a)}{u}" if not written else f"{num(a)}{u}（填报“{written}”）"


def positive(
    a: Decimal, t: Decimal, u: str, w: Decimal, s: Decimal, head: str = "正向指标", written: str | None = None
) -> str:
    shown = actual(a, u, written)
    if t == 0:
        if a >= 0:
            return f"{head}：目标 0{u}，实际 {shown} ≥ 0，得满分 {w}"
        return f"{head}：目标 0{u}，实际 {shown} < 0，得 0 分"
    if a >= t:
        return f"{head}：实际 {shown} ≥ 目标 {num(t)}{u}，得满分 {w}"
    if a < 0:
        return f"{head}：实际 {shown} 为负数，得 0 分"
    return f"{head}：实际 {shown} < 目标 {num(t)}{u}，得分 = {w} × {num(a)} ÷ {num(t)} = {s}"


def reverse(
    a: Decimal,
    t: Decimal,
    u: str,
    w: Decimal,
    s: Decimal,
    linear: bool,
    head: str = "反向指标",
    written: str | None = None,
) -> str:
    shown = actual(a, u, written)
    if a <= t:
        return f"{head}：实际 {shown} ≤ 目标 {num(t)}{u}，得满分 {w}"
    if t <= 0:
        return f"{head}：实际 {shown} > 目标 {num(t)}{u}，得 0 分"
    if linear:
        return (
            f"{head}：实际 {shown} > 目标 {num(t)}{u}，"
            f"得分 = {w} × max(0, 1 − ({num(a)} − {num(t)}) ÷ {num(t)}) = {s}"
        )
    return f"{head}：实际 {shown} > 目标 {num(t)}{u}，得分 = {w} × {num(t)} ÷ {num(a)} = {s}"


def zero_target(a: Decimal, u: str, w: Decimal, written: str | None = None) -> str:
    if a <= 0:
        return f"零目标指标：实际 {actual(a, u, written)} ≤ 0，得满分 {w}"
    return f"零目标指标：目标为 0，实际 {actual(a, u, written)} > 0，得 0 分"


def qualitative(
    label: str, w: Decimal, s: Decimal, fraction: Decimal, band: tuple[Decimal, Decimal] | None
) -> str:
    if band is not None:
        lo, hi = band
        return f"定性指标：评价等级“{label}”，评分 {s}（该等级区间 {lo}–{hi}）"
    if s == w:
        return f"定性指标：评价等级“{label}”，得满分 {w}"
    return f"定性指标：评价等级“{label}”，得分 = {w} × {pct(fraction)} = {s}"


def deadline(
    done: date, due: date, w: Decimal, s: Decimal, policy: str, fraction: Decimal, months: int
) -> str:
    if done <= due:
        return f"时效指标：完成日期 {done.isoformat()} 不晚于截止日期 {due.isoformat()}，得满分 {w}"
    head = f"时效指标：完成日期 {done.isoformat()} 晚于截止日期 {due.isoformat()}"
    if policy == "zero":
        return f"{head}，逾期得 0 分"
    if policy == "per_month_minus_10pct":
        return f"{head}（逾期 {months} 个月），得分 = {w} × max(0, 1 − 10% × {months}) = {s}"
    return f"{head}，逾期得分 = {w} × {pct(fraction)} = {s}"


# The hint of an indicator whose deviation must be explained; the entry form shows REASON_GIVEN
# in its place once the clerk has written the reason.
REASON_NEEDED = "需说明偏差原因"
REASON_GIVEN = "已说明偏差原因"


def overachieved(a: Decimal, t: Decimal, ratio: Decimal) -> str:
    return f"；实际为目标的 {pct((a / t).quantize(Decimal('0.0001')))}（≥ {pct(ratio)}），属超额完成，{REASON_NEEDED}"


def share_over_100(unit: str) -> str:
    return f"；比率超过 100{unit}，可能是填报错误，请核实"


def adjusted(score: Decimal, reason: str) -> str:
    return f"；复核调整为 {score}（理由：{reason}）"
