"""Target values (年度指标值) as published tables write them, each with the ``Target`` it means.

Every family draws one of the spellings the value grammar accepts (app/targets/grammar.py):
operators as symbols or words, 以上/以内 suffixes, units written on or apart, products (``3*300``),
full-width digits, deadlines (``2023年12月底前``, ``年底前``, ``上半年`` …), baselines
(``≥2022年服务人次``, ``不低于上年``) and qualitative words. The ``Target`` is built here from the
parts chosen, never by parsing, so a round trip through the parser checks the parser.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from app.targets.types import Operator, Target

Q2 = Decimal("0.01")
_FULL_WIDTH = str.maketrans("0123456789%", "０１２３４５６７８９％")


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def numeric(raw: str, op: Operator, value: Decimal, unit: str | None) -> Target:
    return Target(raw=raw, kind="numeric", operator=op, value=value, unit=unit)


def _at_least(rng: random.Random, value: Decimal, unit: str, *, words: bool = True) -> Target:
    """≥ in one of its spellings: ``≥8次``, ``不少于8次``, ``8次以上``, ``≥ 8次``."""
    v = _num(value)
    forms = [f"≥{v}{unit}", f"≥{v}{unit}", f"≥ {v}{unit}"]
    if words:
        forms += [f"不少于{v}{unit}", f"{v}{unit}以上", f"不低于{v}{unit}"]
    return numeric(rng.choice(forms), ">=", value, unit or None)


def _at_most(rng: random.Random, value: Decimal, unit: str) -> Target:
    v = _num(value)
    raw = rng.choice([f"≤{v}{unit}", f"≤{v}{unit}", f"≤ {v}{unit};", f"不超过{v}{unit}", f"{v}{unit}以内"])
    return numeric(raw, "<=", value, unit or None)


def count(rng: random.Random, year: int, scale: Decimal, units: tuple[str, ...] = ("次",)) -> Target:
    unit = rng.choice(units)
    value = Decimal(rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50, 100, 150, 200, 500)))
    if rng.random() < 0.25:
        return numeric(f"{_num(value)}{unit}", "=", value, unit)
    if rng.random() < 0.03:  # full-width digits, as some sites publish
        raw = f"≥{_num(value)}{unit}".translate(_FULL_WIDTH)
        return numeric(raw, ">=", value, unit)
    return _at_least(rng, value, unit)


def households(rng: random.Random, year: int, scale: Decimal) -> Target:
    if rng.random() < 0.5:
        value = Decimal(rng.randint(11, 95)) / 10
        sep = rng.choice(("", " "))
        return numeric(f"{_num(value)}{sep}万户", "=", value, "万户")
    return _at_least(rng, Decimal(rng.randint(50, 3000)), "户")


def copies(rng: random.Random, year: int, scale: Decimal) -> Target:
    if rng.random() < 0.5:
        return _at_least(rng, Decimal(rng.randint(1, 9)), "万份", words=False)
    return _at_least(rng, Decimal(rng.choice((500, 1000, 2000, 3000, 5000))), "份")


def area(rng: random.Random, year: int, scale: Decimal) -> Target:
    if rng.random() < 0.3:  # a product, as in 每人每年300元 3*300
        a, b = rng.randint(2, 9), rng.choice((100, 200, 300, 500))
        return numeric(f"{a}*{b}平方米", "=", Decimal(a * b), "平方米")
    return _at_least(rng, Decimal(rng.choice((500, 1000, 2000, 5000))), rng.choice(("平方米", "亩")))


def share(rng: random.Random, year: int, scale: Decimal) -> Target:
    value = Decimal(rng.choice((80, 85, 90, 95, 95, 98, 100)))
    if value == 100 and rng.random() < 0.5:
        return numeric("100%", "=", value, "%")
    if rng.random() < 0.03:
        return numeric(f"≥{value}%".translate(_FULL_WIDTH), ">=", value, "%")
    return _at_least(rng, value, "%")


def share100(rng: random.Random, year: int, scale: Decimal) -> Target:
    return numeric("100%", "=", Decimal(100), "%") if rng.random() < 0.7 else share(rng, year, scale)


def share_low(rng: random.Random, year: int, scale: Decimal) -> Target:
    return _at_least(rng, Decimal(rng.choice((1, 2, 3, 5, 10))), "%")


def quality_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    word = rng.choice(("规范", "达标", "合格", "优良"))
    return Target(raw=word, kind="qualitative", expected=word)


def timely_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    return Target(raw="及时", kind="qualitative", expected="及时")


def sound_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    word = rng.choice(("健全", "健全", "完备", "合理", "完善"))
    return Target(raw=word, kind="qualitative", expected=word)


def lasting_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    word = rng.choice(("长期", "持续发挥作用", "健全"))
    return Target(raw=word, kind="qualitative", expected=word)


def better_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    word = rng.choice(("较上年有所提高", "显著提升", "明显改善", "有效提升"))
    return Target(raw=word, kind="qualitative", expected=word)


def none_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    return Target(raw="无", kind="qualitative", expected="无")


def deadline(rng: random.Random, year: int, scale: Decimal) -> Target:
    month = rng.choice((6, 9, 10, 11, 12, 12, 12))
    last = date(year, month, calendar.monthrange(year, month)[1])
    roll = rng.random()
    if roll < 0.35:
        return Target(raw=f"{year}年{month}月底前", kind="deadline", deadline=last)
    if roll < 0.5:
        return Target(raw=f"{year}年底前", kind="deadline", deadline=date(year, 12, 31))
    if roll < 0.6:
        return Target(raw="年底前", kind="deadline", deadline=date(year, 12, 31))
    if roll < 0.7:
        day = rng.choice((15, 20, 30))
        return Target(raw=f"{year}年{month}月{day}日前", kind="deadline", deadline=date(year, month, day))
    if roll < 0.8:
        return Target(raw=f"{month}月底前", kind="deadline", deadline=last)
    if roll < 0.9:
        q = rng.choice(("三", "四"))
        end = date(year, 9, 30) if q == "三" else date(year, 12, 31)
        return Target(raw=f"第{q}季度末前", kind="deadline", deadline=end)
    return Target(raw="上半年", kind="deadline", deadline=date(year, 6, 30))


def days(rng: random.Random, year: int, scale: Decimal) -> Target:
    value = Decimal(rng.choice((5, 7, 10, 15, 30)))
    return numeric(f"≤{value}个工作日", "<=", value, "个工作日")


def money(rng: random.Random, year: int, scale: Decimal) -> Target:
    """A cost in 万元, a share of ``scale`` (the project's amount) so the costs fit in it."""
    value = max((scale * Decimal(rng.randint(3, 15)) / 100).quantize(Decimal("0.1")), Decimal("0.1"))
    roll = rng.random()
    if roll < 0.55:
        return _at_most(rng, value, "万元")
    if roll < 0.85:
        return numeric(f"{_num(value)}万元", "=", value, "万元")
    if roll < 0.95:
        return numeric(f"{_num(value)}万", "=", value, "万")
    return numeric(f"{_num(value)}万元。", "=", value, "万元")


def per_head(rng: random.Random, year: int, scale: Decimal) -> Target:
    value = Decimal(rng.choice((100, 200, 300, 500, 800, 1200)))
    unit = rng.choice(("元/人", "元/户"))
    if rng.random() < 0.5:
        return numeric(f"{value}{unit}", "=", value, unit)
    return numeric(f"≤{value}{unit}", "<=", value, unit)


def few(rng: random.Random, year: int, scale: Decimal) -> Target:
    return _at_most(rng, Decimal(rng.choice((1, 2, 3, 5))), "次")


def tons(rng: random.Random, year: int, scale: Decimal) -> Target:
    return _at_most(rng, Decimal(rng.choice((1, 2, 5, 10))), "吨")


def zero(rng: random.Random, year: int, scale: Decimal) -> Target:
    unit = rng.choice(("次", "起", "次"))
    return numeric(f"0{unit}", "=", Decimal(0), unit)


def below(rng: random.Random, year: int, scale: Decimal) -> Target:
    if rng.random() < 0.5:
        return numeric("0%", "=", Decimal(0), "%")
    value = Decimal(rng.choice((1, 2, 3)))
    return numeric(f"<{value}%", "<", value, "%")


def nonneg(rng: random.Random, year: int, scale: Decimal) -> Target:
    return numeric("≥0", ">=", Decimal(0), None) if rng.random() < 0.6 else share_low(rng, year, scale)


def money_gain(rng: random.Random, year: int, scale: Decimal) -> Target:
    return _at_least(rng, Decimal(rng.choice((10, 20, 50, 100))), "万元")


def per_head_gain(rng: random.Random, year: int, scale: Decimal) -> Target:
    return _at_least(rng, Decimal(rng.choice((300, 500, 1000, 2000))), "元/人", words=False)


def reference(rng: random.Random, year: int, scale: Decimal) -> Target:
    thing = rng.choice(("服务人次", "受益人数", "参与人数", "办理件数"))
    if rng.random() < 0.7:
        ref = f"{year - 1}年{thing}"
        return Target(raw=f"≥{ref}", kind="reference", operator=">=", reference=ref)
    return Target(raw="不低于上年", kind="reference", operator=">=", reference="上年")


def reference_word(rng: random.Random, year: int, scale: Decimal) -> Target:
    return Target(raw="不低于上年", kind="reference", operator=">=", reference="上年")


def years(rng: random.Random, year: int, scale: Decimal) -> Target:
    return _at_least(rng, Decimal(rng.choice((3, 5, 8, 10))), "年", words=False)


def satisfaction(rng: random.Random, year: int, scale: Decimal) -> Target:
    value = Decimal(rng.choice((85, 90, 90, 95, 95, 98)))
    if rng.random() < 0.03:
        return numeric(f"≥{value}%".translate(_FULL_WIDTH), ">=", value, "%")
    return _at_least(rng, value, "%")


def draw(family: str, rng: random.Random, year: int, scale: Decimal) -> Target:
    """A value of ``family`` (``count:次|场`` passes the units that fit the indicator's name)."""
    name, _, units = family.partition(":")
    if units:
        return FAMILIES[name](rng, year, scale, tuple(units.split("|")))
    return FAMILIES[name](rng, year, scale)


FAMILIES: dict[str, Callable[..., Target]] = {
    f.__name__: f
    for f in (
        count, households, copies, area, share, share100, share_low, quality_word, timely_word,
        sound_word, lasting_word, better_word, none_word, deadline, days, money, per_head, few, tons,
        zero, below, nonneg, money_gain, per_head_gain, reference, reference_word, years, satisfaction,
    )
}  # fmt: skip
