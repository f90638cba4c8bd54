"""Chinese labels for the codes the pages show (one place, so every page says the same thing)."""

from __future__ import annotations

KIND_LABELS = {
    "numeric": "定量",
    "qualitative": "定性",
    "deadline": "时限",
    "reference": "参照",
    "unparsed": "未识别",
}
DIRECTION_LABELS = {
    "positive": "正向",
    "reverse": "反向",
    "zero_target": "零目标",
    "qualitative": "定性",
    "deadline": "时限",
    "reference": "参照基数",
    "unparsed": "未识别",
}
