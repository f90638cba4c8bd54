"""The value grammar of a 年度指标值: text as published → :class:`Target`.

Pure functions, no I/O. ``raw`` is kept exactly as the table wrote it; parsing works on a copy
with full-width characters folded to ASCII (same length, so slices map back to ``raw``) and
trailing punctuation (``。；;、,``) and bracketed notes removed.

Forms read (anything else is ``unparsed``, never dropped):

- numeric: an optional operator — symbols ``≥ ≤ > < = ≧ ≦ ﹦ ＞ ＜ ＝ >= <=`` or words (不低于,
  不少于, 大于等于, 达到 … / 不高于, 不超过, 小于等于, 小于 …) and/or a trailing 以上 / 以内 /
  以下 / 及其以下 — then a number (decimals, full-width digits, thousands separators, products
  ``3*300``) and a unit kept as written (``%``, ``万元``, ``元/户``, ``次/月`` …; ``百分比`` → ``%``).
  Chinese usage counts 以上/以下/以内 as inclusive (≥, ≤). No operator means ``=``.
- deadline: ``2022年12月底前`` → 2022-12-31, ``2023年底前``, ``2023年6月30日前``, ``年底前`` and
  ``9月前`` in the table's year (``X月前`` is read as the end of month X, the generous reading),
  上半年 / 第N季度, ISO-like dates.
- reference: a comparison against a baseline the table does not give (``≥2022年依法维权次数``,
  ``不低于上年``).
- qualitative: a word or phrase with an expected state (健全, 完备, 合理, 达标, 优良, 显著提升,
  是/否, ``较上年有所提高`` …).

:func:`split_name_target` separates an indicator name from its value when both share one cell.
:func:`format_target` is the inverse of :func:`parse_target` (operator, number and unit as written).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from app.targets.types import Operator, Target

__all__ = [
    "KNOWN_UNITS",
    "STRONG_KINDS",
    "Template",
    "fill_template",
    "format_target",
    "normalise_text",
    "parse_target",
    "split_by_rules",
    "split_name_target",
    "split_template",
]

# --- normalisation ---------------------------------------------------------------------------

_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII
_FOLD.update({0x3000: 0x20, 0xA0: 0x20, ord("﹦"): ord("="), ord("×"): ord("*"), ord("﹪"): ord("%")})
_FOLD.update({ord("≧"): ord("≥"), ord("≦"): ord("≤"), ord("⩾"): ord("≥"), ord("⩽"): ord("≤")})
_FOLD.update(
    {ord("═"): ord("="), ord("・"): ord("·"), ord("•"): ord("·"), ord("‧"): ord("·"), ord("∙"): ord("·")}
)
_FOLD.update({ord("–"): ord("-"), ord("－"): ord("-")})
_TRAILING = frozenset("。；;、,，.．:：!！ \t\r\n\u3000\xa0")
_NOTE_CLOSERS = frozenset(")]】")
_NOTE_RE = re.compile(r"\s*[(\[【][^()\[\]【】]{0,20}[)\]】]$")


def normalise_text(text: str) -> str:
    """Fold full-width characters and operator variants to one spelling (length preserved)."""
    return text.translate(_FOLD)


def _strip_end(text: str) -> int:
    """Index where trailing punctuation/whitespace starts."""
    end = len(text)
    while end and text[end - 1] in _TRAILING:
        end -= 1
    return end


# --- operators ---------------------------------------------------------------------------------

_SYMBOL_OPS: dict[str, Operator] = {
    ">=": ">=",
    "=>": ">=",
    "≥": ">=",
    "≥=": ">=",
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    "≤=": "<=",
    "==": "=",
    "=": "=",
    ">": ">",
    "<": "<",
}
_WORD_OPS: dict[str, Operator] = {
    "大于或等于": ">=",
    "大于等于": ">=",
    "不低于": ">=",
    "不少于": ">=",
    "不小于": ">=",
    "高于等于": ">=",
    "至少": ">=",
    "达到": ">=",
    "大于": ">",
    "高于": ">",
    "超过": ">",
    "多于": ">",
    "小于或等于": "<=",
    "小于等于": "<=",
    "不高于": "<=",
    "不超过": "<=",
    "不超": "<=",
    "不大于": "<=",
    "不多于": "<=",
    "低于等于": "<=",
    "至多": "<=",
    "控制在": "<=",
    "小于": "<",
    "低于": "<",
    "少于": "<",
    "等于": "=",
    "为": "=",
}
# Prefix words that only soften: a trailing 以上/以下 decides.
_SOFT_WORDS = frozenset({"达到", "控制在", "为", "等于"})
_SOFT_SUFFIXES = frozenset({"达标"})  # a suffix that leaves the operator as written
_SUFFIX_OPS: dict[str, Operator] = {
    "及其以上": ">=",
    "及以上": ">=",
    "或以上": ">=",
    "以上": ">=",
    "及其以下": "<=",
    "及以下": "<=",
    "或以下": "<=",
    "以下": "<=",
    "以内": "<=",
    "之内": "<=",
    "达标": "=",  # ``100%达标``: the number is the standard to reach
}


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SYM_ALT = _alternation(_SYMBOL_OPS)
_WORD_ALT = _alternation(_WORD_OPS)
_PREFIX_RE = re.compile(rf"(?:(?P<sym>{_SYM_ALT})|(?P<word>{_WORD_ALT}))\s*")
_OP_FIRST_CHARS = frozenset(op[0] for op in (*_SYMBOL_OPS, *_WORD_OPS))
_SUFFIX_RE = re.compile(rf"\s*(?P<suf>{_alternation(_SUFFIX_OPS)})$")
_SUFFIX_WORDS = tuple(_SUFFIX_OPS)

# --- numbers and units ------------------------------------------------------------------------

_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_UNIT_CHARS = r"[^\s\d<>=≥≤*,;:()\[\]{}\"'`~!?@#$^&|\\【】。，；：、%‰]"
# A compound unit may join its parts with ``*`` or ``·`` (``元/人*月`` = ``元/人·月``); a ``%``
# after a money unit (``28.8万元%``) is a slip of the pen, dropped with a note.
_NUMERIC_RE = re.compile(
    rf"(?P<nums>{_NUM}(?:\s*[*xX]\s*{_NUM})*)\s*"
    rf"(?P<unit>[%‰]|{_UNIT_CHARS}{{1,10}}(?:\*{_UNIT_CHARS}{{1,5}})*)?(?P<stray>%)?"
)
MONEY_UNITS = frozenset({"元", "万元", "千元", "亿元", "万"})
_PERCENT_WORDS = {"百分比": "%"}

# Units recognised when the value is glued to the name without a space (``业务工作经费1万元``).
_UNIT_WORDS = (
    "万元 亿元 千元 元 万 % ‰ 百分比 百分点 个百分点 次 人次 场次 场 人 名 户 万户 份 万份 个 家 所 期 篇 项 天 日 个月 月 年 小时 "
    "分钟 公里 千米 米 km 亩 万亩 公顷 吨 万吨 台 套 件 处 座 条 批 册 本 张 辆 株 棵 头 只 平方米 万平方米 立方米 元/户 元/人 "
    "元/亩 元/次 次/月 次/年 人/次 千瓦 床 间 栋 幅 块 轮 班 组 课时 学时 宗 起 例 车次 万人次 万人"
)
KNOWN_UNITS = tuple(_UNIT_WORDS.split())
_GLUED_RE = re.compile(
    rf"(?:(?P<sym>{_SYM_ALT})|(?P<word>{_WORD_ALT}))?\s*{_NUM}(?:\s*[*xX]\s*{_NUM})*\s*"
    rf"(?:{_alternation(KNOWN_UNITS)})?\s*(?:{_alternation(_SUFFIX_OPS)})?[。；;、,，.．\s]*$"
)

# --- deadlines --------------------------------------------------------------------------------

_DEADLINE_RE = re.compile(
    r"(?:(?P<y>\d{4})\s*年(?:度)?)?\s*(?:"
    r"(?:\d{1,2}\s*月?\s*(?:-+|—+|~|～|至|到)\s*)?(?P<m>\d{1,2})\s*月份?\s*(?:(?P<d>\d{1,2})\s*[日号])?"
    r"\s*(?P<mend>底|末|上旬|中旬|下旬)?"
    r"|(?P<ye>年?(?:底|末|终)|年内|年度内|内|本年度?内?|当年内?)"
    r"|(?P<half>上半年|下半年)(?:底|末)?"
    r"|第?(?P<q>[一二三四1-4])\s*季度(?:末|底)?"
    r")\s*(?P<before>之前|以前|前|止|为止)?\s*(?:完成|完工|办结|结束|到位|实施完毕)?"
)
_ISO_DATE_RE = re.compile(
    r"(?P<y>\d{4})\s*[-./]\s*(?P<m>\d{1,2})\s*(?:[-./]\s*(?P<d>\d{1,2}))?\s*(?P<before>之前|以前|前)?"
)  # a day or 前 is required: ``2023.5`` alone is a number
_YEAR_ONLY_RE = re.compile(r"((?:19|20)\d{2})\s*年度?")
_QUARTER = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}

# --- references and qualitative phrases --------------------------------------------------------

_YEAR_REF_RE = re.compile(r"(?:19|20)\d{2}\s*年(?:度)?(?![\d底末内])\S")
_BASELINE_RE = re.compile(
    r"\d{4}\s*年|上年|去年|前年|上一年|往年|同期|基期|基准|历年|平均|水平|上期|上季度|同比|环比|近三年|前三年|基数"
)
_QUAL_EXACT = frozenset(["是", "否", "有", "无", "好", "高", "优", "良", "中", "差", "零", "全部", "全覆盖"])
_QUAL_STEMS = re.compile(
    "健全|完备|完善|合理|达标|合格|优良|良好|优秀|较好|及时|准确|规范|稳定|安全|有效|显著|明显|提升|提高|改善|"
    "增强|增加|降低|减少|下降|持续|长期|正常|到位|落实|符合|满足|达到|实现|完成|保障|按时|按期|按计划|按要求|"
    "逐步|进一步|大幅|不断|有所|发挥|促进|推动|加强|优化|改进|预期|要求|标准|覆盖|杜绝|未发生|充分|高效|顺利|"
    "完好|畅通|达成|健康|可控|好转|增长|扩大|受益|认可|美化|便利|可靠|完整|一致|清晰|通过"
)
_QUAL_MAX_LEN = 40
_SENTENCE_MIN = 8  # CJK characters around a number for the text to be a sentence, not a quantity
_DEVIATION_RE = re.compile(r"(?:±|\+/-|\+-)\s*")
_PLACEHOLDER_RE = re.compile(r"(?:\*+|_+|[xX]{1,3}|…+|○+|□+)(?![\d.])")

STRONG_KINDS = frozenset({"numeric", "deadline", "reference"})
# Pure functions of immutable inputs and results: memoised, since values repeat across a table.
CACHE_SIZE = 1 << 16

OP_SYMBOL: dict[str, str] = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": ""}


@lru_cache(maxsize=CACHE_SIZE)
def parse_target(raw: str, *, level2: str | None = None, year: int | None = None) -> Target:
    """Parse one 年度指标值. ``year`` (the table's budget year) resolves ``年底前``/``9月前``;
    ``level2`` lets a bare month under 时效指标 (``12月``) read as a deadline.
    """
    raw = raw.strip()
    text = normalise_text(raw)
    end = _core_end(text)
    s = text[:end]
    if not s:
        return Target(raw=raw, kind="unparsed")

    deadline = _deadline(s, year, level2)
    if deadline is not None:
        if deadline is _NO_YEAR:  # ``9月前`` with no year known: a deadline, but of which year?
            return Target(raw=raw, kind="unparsed")
        return Target(raw=raw, kind="deadline", deadline=deadline)

    op: Operator | None = None
    word: str | None = None
    pos = 0
    m = _PREFIX_RE.match(s) if s[0] in _OP_FIRST_CHARS else None
    if m is not None and m.end() < len(s):
        pos = m.end()
        if m.group("sym"):
            op = _SYMBOL_OPS[m.group("sym")]
        else:
            word = m.group("word")
            op = _WORD_OPS[word]
    body_end = len(s)
    suf = _SUFFIX_RE.search(s, pos) if s.endswith(_SUFFIX_WORDS) else None
    if suf is not None and suf.start() > pos:
        suffix_op = _SUFFIX_OPS[suf.group("suf")]
        body_end = suf.start()
        if suf.group("suf") in _SOFT_SUFFIXES:
            op = op or suffix_op
        elif op is None or word in _SOFT_WORDS:
            op = suffix_op
        elif op[0] != suffix_op[0]:  # ≥ … 以下: contradictory
            return Target(raw=raw, kind="unparsed")

    dev = _DEVIATION_RE.match(s, pos)
    if dev is not None:  # ``±3%以内``: a deviation of at most 3% (reverse)
        if op not in (None, "<="):
            return Target(raw=raw, kind="unparsed")
        op, pos = "<=", dev.end()
    body = s[pos:body_end]
    if _PLACEHOLDER_RE.match(body) is not None:  # ``≥**%``: a template left unfilled
        return Target(raw=raw, kind="unparsed")
    if (
        body[:2] in ("19", "20") and _YEAR_REF_RE.match(body) is not None
    ):  # ≥2022年依法维权次数: a year, not a quantity
        return Target(raw=raw, kind="reference", operator=op or "=", reference=raw[pos:end].strip())
    nm = _NUMERIC_RE.fullmatch(s, pos, body_end)
    if nm is not None:
        value = _number(nm.group("nums"))
        if value is not None:
            unit = nm.group("unit")
            unit = _PERCENT_WORDS.get(unit, unit.replace("*", "·")) if unit else None
            note = None
            if nm.group("stray"):
                if unit not in MONEY_UNITS:
                    return Target(raw=raw, kind="unparsed")
                note = "stray_percent"
            return Target(raw=raw, kind="numeric", operator=op or "=", value=value, unit=unit, note=note)

    if pos:
        later = _deadline(s[pos:], year, level2)
        if later is _NO_YEAR:
            return Target(raw=raw, kind="unparsed")
        if later is not None and op in ("<=", "<", "="):
            return Target(raw=raw, kind="deadline", deadline=later)

    if op is not None and _BASELINE_RE.search(body) is not None:
        return Target(raw=raw, kind="reference", operator=op or "=", reference=raw[pos:end].strip())
    if _is_qualitative(s):
        return Target(raw=raw, kind="qualitative", expected=raw[:end].strip())
    if op is not None and word is None and not body[:1].isdigit() and body[:1] not in "+-":
        return Target(raw=raw, kind="reference", operator=op, reference=raw[pos:end].strip())
    if is_prose(s):  # ``严格执行相关制度规定``, ``控制在预算内``: graded like 健全
        return Target(raw=raw, kind="qualitative", expected=raw[:end].strip())
    return Target(raw=raw, kind="unparsed")


def _core_end(text: str) -> int:
    """Where the value ends: before trailing punctuation and a bracketed note (``85（暂定）。``)."""
    end = _strip_end(text)
    if end and text[end - 1] in _NOTE_CLOSERS:
        note = _NOTE_RE.search(text, 0, end)
        if note is not None and note.start() > 0:
            end = _strip_end(text[: note.start()])
    return end


# Text that looks like a quantity: digits, a percent, an operator symbol, a placeholder, a vague
# amount (若干) or a Chinese numeral before a measure word (``三次``). Never read as prose.
_MEASURE = "次个人项场期份家户天日月年元名批所台套件处座条篇轮组课时"
_LOOKS_NUMERIC_RE = re.compile(rf"[0-9%‰≥≤<>=±*]|若干|[一二三四五六七八九十两百千万几数]+[{_MEASURE}]")
# A pointer to another document is not a target written in the table.
_POINTER_RE = re.compile(r"详见|见附|另附|附件|附表")
_PROSE_MAX_LEN = 100


def is_prose(s: str) -> bool:
    """A target written as words only (``应保尽保``, ``按月安排``, ``合规``): no number, operator or
    date, and no pointer elsewhere (``详见附件``). Such a target is qualitative."""
    return (
        len(s) <= _PROSE_MAX_LEN
        and any(_is_cjk(ch) for ch in s)
        and _LOOKS_NUMERIC_RE.search(s) is None
        and _POINTER_RE.search(s) is None
    )


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _number(text: str) -> Decimal | None:
    if text.isdigit():
        return Decimal(text)
    value: Decimal | None = None
    try:
        for part in re.split(r"\s*[*xX]\s*", text):
            n = Decimal(part.replace(",", ""))
            value = n if value is None else value * n
    except InvalidOperation:  # pragma: no cover - the regex admits only numbers
        return None
    return value


def _is_qualitative(s: str) -> bool:
    if s in _QUAL_EXACT:
        return True
    if len(s) > _QUAL_MAX_LEN or _QUAL_STEMS.search(s) is None:
        return False
    # digits only as a year (较2022年有所提升), never a quantity …
    rest = re.sub(r"\d{4}\s*年", "", s)
    if not any(ch.isdigit() for ch in rest):
        return True
    # … or as a label inside a sentence (``1-6期培训结束后及时考核``): the words carry the target
    words = re.sub(r"[\d.\-~至到%‰、，,]+", "", rest)
    return "%" not in rest and sum(1 for ch in words if _is_cjk(ch)) >= _SENTENCE_MIN


_NO_YEAR = date.min  # sentinel: a deadline written without a year, and no table year given


def _deadline(s: str, year: int | None, level2: str | None) -> date | None:
    if "年" not in s and "月" not in s and "季" not in s and not s[:4].isdigit() and "当" not in s:
        return None  # fast path: no date can be written without these
    m = _DEADLINE_RE.fullmatch(s)
    if m is not None:
        y = int(m.group("y")) if m.group("y") else year
        month_text = m.group("m")
        if month_text:
            has_marker = m.group("mend") or m.group("before") or m.group("d")
            if not (m.group("y") or has_marker or (level2 or "").startswith("时效")):
                return None  # ``12月`` alone is a duration unless under 时效指标
        elif m.group("ye") == "内" and not m.group("y"):
            return None
        if y is None:
            return _NO_YEAR
        try:
            if month_text:
                month = int(month_text)
                if m.group("d"):
                    return date(y, month, int(m.group("d")))
                mend = m.group("mend")
                if mend == "上旬":
                    return date(y, month, 10)
                if mend == "中旬":
                    return date(y, month, 20)
                return date(y, month, calendar.monthrange(y, month)[1])
            if m.group("half"):
                return date(y, 6, 30) if m.group("half") == "上半年" else date(y, 12, 31)
            if m.group("q"):
                month = _QUARTER[m.group("q")]
                return date(y, month, calendar.monthrange(y, month)[1])
            return date(y, 12, 31)
        except ValueError:
            return None
    if (level2 or "").startswith("时效") and (m := _YEAR_ONLY_RE.fullmatch(s)) is not None:
        return date(int(m.group(1)), 12, 31)  # ``2023年`` under 时效指标: within that year
    m = _ISO_DATE_RE.fullmatch(s)
    if m is not None and (m.group("d") or m.group("before")):
        y, month = int(m.group("y")), int(m.group("m"))
        try:
            day = int(m.group("d")) if m.group("d") else calendar.monthrange(y, month)[1]
            return date(y, month, day)
        except ValueError:
            return None
    return _range_end(s)


# A period ``A-B`` whose start is a full date: its end is the deadline. The end may leave out
# what the start gives (``2021.1.1-12.31``, ``2021年1月-11月``) or repeat it
# (``2020年1月--2020年11月``); a month without a day means the end of that month.
_RANGE_RE = re.compile(r"(?P<a>.+?)\s*(?:-{1,2}|—{1,2}|~|～|至|到)\s*(?P<b>[^-—~～至到]+)")
_ISO_START_RE = re.compile(r"(?P<y>\d{4})\s*[./]\s*\d{1,2}(?:\s*[./]\s*\d{1,2})?")
_CN_START_RE = re.compile(r"(?P<y>\d{4})\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?")
_ISO_END_RE = re.compile(r"(?:(?P<y>\d{4})\s*[./]\s*)?(?P<m>\d{1,2})(?:\s*[./]\s*(?P<d>\d{1,2}))?")
_CN_END_RE = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?\s*(?:底|末)?"
)


def _range_end(s: str) -> date | None:
    m = _RANGE_RE.fullmatch(s)
    if m is None:
        return None
    a, b = m.group("a"), m.group("b").strip()
    start = _ISO_START_RE.fullmatch(a) or _CN_START_RE.fullmatch(a)
    if start is None:
        return None
    end_re = _ISO_END_RE if start.re is _ISO_START_RE else _CN_END_RE
    end = end_re.fullmatch(b)
    if end is None:
        return None
    y = int(end.group("y") or start.group("y"))
    try:
        month = int(end.group("m"))
        day = int(end.group("d")) if end.group("d") else calendar.monthrange(y, month)[1]
        return date(y, month, day)
    except ValueError:
        return None


def format_target(target: Target) -> str:
    """Write a target back as text: ``≥95%``, ``≤0.7万元``, ``50次``, ``2022年12月底前`` …"""
    if target.kind == "numeric" and target.value is not None:
        op = OP_SYMBOL.get(target.operator or "=", "")
        return f"{op}{format(target.value, 'f')}{target.unit or ''}"
    if target.kind == "deadline" and target.deadline is not None:
        d = target.deadline
        if d.day == calendar.monthrange(d.year, d.month)[1]:
            return f"{d.year}年{d.month}月底前"
        return f"{d.year}年{d.month}月{d.day}日前"
    if target.kind == "reference" and target.reference is not None:
        return f"{OP_SYMBOL.get(target.operator or '=', '')}{target.reference}"
    if target.kind == "qualitative" and target.expected is not None:
        return target.expected
    return target.raw


# --- name and value sharing one cell -----------------------------------------------------------

_BOUNDARY_RE = re.compile(r"[\s:：]+")
# Fast path for a name without spaces or operators, a space, and a plain value (``企业安全检查 50次``,
# ``制度健全性 健全``). tests/test_grammar.py checks it agrees with the general rules.
_FAST_UNITS = [
    u for u in KNOWN_UNITS if (u.isalpha() and not any(c in u for c in "年月日")) or u in ("%", "‰")
]
_FAST_UNITS = [u for u in _FAST_UNITS if u not in _PERCENT_WORDS and u != "km"] + ["个月"]
_FAST_WORD_TEXT = "健全 完备 完善 合理 达标 合格 优良 良好 优秀 是 否 有 无 及时 准确 规范 稳定 有效"
_FAST_WORDS = tuple(_FAST_WORD_TEXT.split())
_FAST_SPLIT_RE = re.compile(
    r"(?P<name>[^\s:：≥≤<>=]*[^\W\d_][^\s:：≥≤<>=]*)[\s:：]+(?P<value>"
    r"(?P<op>≥|≤|>=|<=|>|<|=)?\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*"
    rf"(?P<unit>{_alternation(_FAST_UNITS)})?"
    rf"|(?P<word>{_alternation(_FAST_WORDS)}))"
    r"(?P<trail>[。；;、,，]*)"
)


def _fast_target(m: re.Match[str]) -> Target:
    raw = m.group("value") + m.group("trail")
    if m.group("word"):
        return Target(raw=raw, kind="qualitative", expected=m.group("word"))
    op = m.group("op")
    return Target(
        raw=raw,
        kind="numeric",
        operator=_SYMBOL_OPS[op] if op else "=",
        value=Decimal(m.group("num")),
        unit=m.group("unit"),
    )


_FIRST_OP_RE = re.compile(rf"{_SYM_ALT}")
_DATE_OR_DIGIT_RE = re.compile(r"[\d０-９年月季]")
_GLUED_QUAL_RE = re.compile(
    r"(?<=[性度率况])(?:健全|完备|完善|合理|达标|合格|优良|良好|优秀|是|否|有|无|及时|准确|规范|稳定|有效)"
    r"[。；;、,，.．\s]*$"
)


@lru_cache(maxsize=CACHE_SIZE)
def split_name_target(text: str, *, level2: str | None = None, year: int | None = None) -> tuple[str, Target]:
    """Split ``企业安全检查 50次`` into its name and parsed value.

    General rules, tried in order (the first that yields a name and a value wins):
    1. at a space or colon, the leftmost split whose right side parses completely as a number,
       deadline or reference (``农村住房保险补贴户数 3.2 万户``, ``保障33名退休干部工作的正常开展 ≥3人``);
    2. before the first operator symbol (``维权次数≥2022年水平``);
    3. a number with a known unit glued to the name (``业务工作经费1万元``, ``法制培训全年三次2万元。``);
    4. a deadline glued to the name (``完成时间2023年底前``);
    5. the last word after a space, when it is qualitative (``制度健全性 健全``);
    6. a qualitative word glued after ``…性`` (``制度健全性健全``);
    otherwise the value is kept unparsed: the last word after a space, or empty.
    """
    t = text.strip()
    fast = _FAST_SPLIT_RE.fullmatch(t)
    if fast is not None:  # the common ``name value`` shape; same result as the general rules
        return fast.group("name"), _fast_target(fast)
    return split_by_rules(t, level2=level2, year=year)


def split_by_rules(t: str, *, level2: str | None = None, year: int | None = None) -> tuple[str, Target]:
    """The general rules of :func:`split_name_target`, without its fast path."""
    t = t.strip()
    boundaries = [(m.start(), m.end()) for m in _BOUNDARY_RE.finditer(t)]
    tried: dict[int, Target] = {}
    for start, stop in boundaries:
        if stop >= len(t) or not _has_word(t[:start]):
            continue
        target = tried[stop] = parse_target(t[stop:], level2=level2, year=year)
        if target.kind in STRONG_KINDS:
            return t[:start], target
    m = _FIRST_OP_RE.search(t, 1)
    if m is not None and _has_word(t[: m.start()]):
        target = parse_target(t[m.start() :], level2=level2, year=year)
        if target.kind in STRONG_KINDS:
            return t[: m.start()].strip(), target
    if _DATE_OR_DIGIT_RE.search(t) is not None:
        folded = normalise_text(t)
        m = _GLUED_RE.search(folded, 1)
        if m is not None and not folded[m.start() - 1].isdigit() and _has_word(t[: m.start()]):
            target = parse_target(t[m.start() :], level2=level2, year=year)
            if target.kind in STRONG_KINDS:
                return t[: m.start()].strip(), target
        for i in range(2, len(t)):
            if (t[i].isdigit() and not t[i - 1].isdigit()) or t[i] == "年":
                target = parse_target(t[i:], level2=level2, year=year)
                if target.kind == "deadline":
                    return t[:i].strip(), target
    if boundaries:
        start, stop = boundaries[-1]
        if stop < len(t) and _has_word(t[:start]):
            target = tried.get(stop) or parse_target(t[stop:], level2=level2, year=year)
            if target.kind == "qualitative":
                return t[:start], target
    m = _GLUED_QUAL_RE.search(t)
    if m is not None and m.start() >= 2:
        return t[: m.start()], parse_target(t[m.start() :], level2=level2, year=year)
    whole = parse_target(t, level2=level2, year=year)
    if whole.kind in STRONG_KINDS:  # a value without a name (``≥95%``)
        return "", whole
    if boundaries:
        start, stop = boundaries[-1]
        if start and stop < len(t):
            return t[:start], Target(raw=t[stop:], kind="unparsed")
    return t, Target(raw="", kind="unparsed")


def _has_word(name: str) -> bool:
    """A name needs a letter, digit or CJK character (``≥`` alone is not a name)."""
    return any(ch.isalnum() for ch in name)


# --- header templates ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """The operator and/or unit a name or column header prints as a placeholder:
    ``苗木成活率(≥**%)``, ``项目总投入(≥**万元)``, ``开展修复工程(个)``, ``指标值(%)``."""

    operator: Operator | None
    unit: str | None


_PLACEHOLDER_CHARS = "*xX_…○□△?？"
_TEMPLATE_RE = re.compile(
    rf"\s*\(\s*(?:(?P<sym>{_SYM_ALT})|(?P<word>{_WORD_ALT}))?\s*(?P<ph>[{re.escape(_PLACEHOLDER_CHARS)}]+)?\s*"
    rf"(?P<unit>[%‰]|{_UNIT_CHARS}{{1,10}}(?:\*{_UNIT_CHARS}{{1,5}})*)?\s*\)\s*$"
)
_UNIT_SPLIT_RE = re.compile(r"[/·*]")
_KNOWN_UNIT_SET = frozenset(KNOWN_UNITS) | {"百分比", "平方公里", "公斤", "千克", "人/年", "套/年"}
_SAME_UNITS = ({"万元", "万"}, {"%", "百分比"})


def split_template(name: str) -> tuple[str, Template | None]:
    """Split the placeholder off a name or header: ``苗木成活率(≥**%)`` → (苗木成活率, ≥ %).

    The bracket must end the name and hold an operator and/or a placeholder and/or a unit; without
    a placeholder the unit must be a known one (``(个)``, ``(元/人·月)``), so that a note such as
    ``(必填)`` or ``(含单位)`` stays part of the name.
    """
    text = normalise_text(name)
    if ")" not in text[-2:]:
        return name, None
    m = _TEMPLATE_RE.search(text)
    if m is None or not _has_word(name[: m.start()]):
        return name, None
    op_text = m.group("sym") or m.group("word")
    op = (_SYMBOL_OPS.get(op_text) or _WORD_OPS.get(op_text)) if op_text else None
    unit = m.group("unit")
    if unit is not None:
        unit = _PERCENT_WORDS.get(unit, unit.replace("*", "·"))
        if not m.group("ph") and not all(part in _KNOWN_UNIT_SET for part in _UNIT_SPLIT_RE.split(unit)):
            return name, None
    if op is None and unit is None:
        return name, None
    return name[: m.start()].rstrip(), Template(operator=op, unit=unit)


def _op_class(op: str | None) -> str:
    return (op or "=")[0]


def _same_unit(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in _SAME_UNITS)


def fill_template(
    raw: str,
    template: Template | None,
    *,
    level2: str | None = None,
    year: int | None = None,
    source: str = "名称",
) -> tuple[str, str | None]:
    """A bare number takes the template's operator and unit (``85`` under ``(≥**%)`` → ``≥85%``).

    What the value writes itself wins (the user's number is authoritative): its own operator or
    unit is kept, and a contradiction is returned as a remark in Chinese (``source`` says where the
    template was printed: 名称 or 表头). Only a number is
    filled — a template never turns a word, a date or a baseline into a target (no ``reference``
    from a placeholder).
    """
    if template is None:
        return raw, None
    target = parse_target(raw, level2=level2, year=year)
    if target.kind != "numeric":
        return raw, None
    core = raw.strip()
    text = normalise_text(core)
    end = _core_end(text)
    body = text[:end]
    suffix = _SUFFIX_RE.search(body) if body.endswith(_SUFFIX_WORDS) else None
    written_op = bool(
        (body[0] in _OP_FIRST_CHARS and _PREFIX_RE.match(body)) or suffix or _DEVIATION_RE.match(body)
    )
    unit_at = suffix.start() if suffix is not None else end  # ``90以上`` → ``90%以上``
    remarks = []
    add_op = ""
    if template.operator is not None:
        if not written_op:
            add_op = OP_SYMBOL[template.operator]
        elif _op_class(target.operator) != _op_class(template.operator):
            shown = OP_SYMBOL[template.operator] or "="
            remarks.append(f"{source}标明“{shown}”，指标值写“{OP_SYMBOL[target.operator or '='] or '='}”")
    add_unit = ""
    if template.unit is not None:
        if target.unit is None:
            add_unit = template.unit
        elif not _same_unit(target.unit, template.unit):
            remarks.append(f"{source}标明单位“{template.unit}”，指标值的单位是“{target.unit}”")
    filled = f"{add_op}{core[:unit_at]}{add_unit}{core[unit_at:]}"
    if (add_op or add_unit) and parse_target(filled, level2=level2, year=year).kind != "numeric":
        filled = raw  # pragma: no cover - a number stays a number with an operator or unit added
    remark = f"{'；'.join(remarks)}，按指标值“{raw.strip()}”读取" if remarks else None
    return filled, remark
