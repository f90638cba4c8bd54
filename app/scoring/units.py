"""Units of measure (计量单位) and their conversions, for reading actuals (docs/scoring-rules.md §4, §4a).

A unit is read as ``[prefix]base[/denominator]``: the prefixes 万, 亿, 千, 百万 … multiply any base
(``万份`` = 10000 份, ``千米`` = 1000 米); a handful of bases have synonyms in one dimension
(``公里`` = 1000 米, ``吨`` = 1000 公斤, ``‰`` = 0.1 %); any other base is its own dimension, so
``万人次`` converts to ``人次`` and never to ``人``. A bare prefix (``1.2万``) takes the other side's
base. All factors are exact decimals.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

PREFIXES = (("千万", Decimal(10) ** 7), ("百万", Decimal(10) ** 6), ("十万", Decimal(10) ** 5),
            ("亿", Decimal(10) ** 8), ("万", Decimal(10) ** 4), ("千", Decimal(10) ** 3))  # fmt: skip

# base → (dimension, factor to the dimension's unit)
BASES: dict[str, tuple[str, Decimal]] = {
    "%": ("%", Decimal(1)),
    "‰": ("%", Decimal("0.1")),
    "米": ("米", Decimal(1)),
    "公里": ("米", Decimal(1000)),
    "厘米": ("米", Decimal("0.01")),
    "毫米": ("米", Decimal("0.001")),
    "克": ("克", Decimal(1)),
    "公斤": ("克", Decimal(1000)),
    "斤": ("克", Decimal(500)),
    "吨": ("克", Decimal(10) ** 6),
    "平方米": ("平方米", Decimal(1)),
    "平米": ("平方米", Decimal(1)),
    "平方公里": ("平方米", Decimal(10) ** 6),
    "平方千米": ("平方米", Decimal(10) ** 6),
    "公顷": ("平方米", Decimal(10) ** 4),
    "立方米": ("立方米", Decimal(1)),
    "方": ("立方米", Decimal(1)),
    "天": ("天", Decimal(1)),
    "日": ("天", Decimal(1)),
    "周": ("天", Decimal(7)),
    "月": ("月", Decimal(1)),
    "个月": ("月", Decimal(1)),
    "年": ("月", Decimal(12)),
    "小时": ("小时", Decimal(1)),
    "个小时": ("小时", Decimal(1)),
}


class UnitMismatch(ValueError):
    """The two units are not in one dimension (message in Chinese names both)."""

    def __init__(self, unit: str, target_unit: str) -> None:
        super().__init__(f"单位“{unit}”无法换算为“{target_unit}”")
        self.unit = unit
        self.target_unit = target_unit


@lru_cache(maxsize=4096)
def unit_info(unit: str) -> tuple[str, Decimal]:
    """``(dimension, factor)`` of a unit; dimension ``""`` is a bare prefix such as ``万``."""
    if "/" in unit:
        num, _, den = unit.partition("/")
        (nd, nf), (dd, df) = unit_info(num), unit_info(den)
        return f"{nd}/{dd}", nf / df
    if unit in BASES:
        return BASES[unit]
    for prefix, factor in PREFIXES:
        if unit.startswith(prefix):
            base = unit[len(prefix) :]
            if not base:
                return "", factor
            dim, base_factor = unit_info(base)
            return dim, factor * base_factor
    return unit, Decimal(1)


def convert(value: Decimal, unit: str | None, target_unit: str | None) -> Decimal:
    """``value`` written in ``unit`` expressed in ``target_unit``; no unit means the target's unit.

    Raises :class:`UnitMismatch` when the units are not convertible. A target without a unit
    accepts any unit as written (nothing to check against), except that a bare prefix still
    multiplies (``1.2万`` → 12000).
    """
    if not unit or unit == target_unit:
        return value
    src_dim, src_factor = unit_info(unit)
    if not target_unit:
        return value * src_factor if src_dim == "" else value
    dst_dim, dst_factor = unit_info(target_unit)
    if src_dim not in ("", dst_dim):
        raise UnitMismatch(unit, target_unit)
    # A bare prefix (1.2万 against 元 or 万元) multiplies the target's own base unit.
    return value * src_factor / dst_factor
