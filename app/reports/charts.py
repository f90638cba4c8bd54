"""Inline SVG charts for the finance overview (no JavaScript, no CDN: they print and work offline).

PURE: numbers in, an SVG string out. Every text is XML-escaped; sizes are in CSS pixels and the
``viewBox`` lets the chart scale with the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

GRADE_COLOURS = {"优": "#2f855a", "良": "#3182ce", "中": "#d69e2e", "差": "#c53030"}
FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int | None  # None: no bar, ``note`` says why
    colour: str = "#9b1c1c"
    note: str = ""  # shown after the value (e.g. "（12 个项目）")
    title: str = ""  # tooltip


def _num(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"


def column_chart(bars: Sequence[Bar], *, title: str, unit: str = "", height: int = 220) -> str:
    """Vertical columns (score distribution): one column per bin, the count above it."""
    width = max(360, 90 * len(bars) + 60)
    top, bottom, left = 34, 40, 40
    plot_h = height - top - bottom
    peak = max((b.value for b in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="18" font-size="14" font-weight="600" fill="#1f2933">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#9aa5b1"/>',
    ]
    slot = (width - left - 10) / max(len(bars), 1)
    for i, bar in enumerate(bars):
        h = round(plot_h * float(bar.value) / float(peak), 1) if bar.value else 0
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        y = top + plot_h - h
        tip = escape(bar.title or f"{bar.label}：{_num(bar.value)}{unit}")
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h}" fill="{bar.colour}"><title>{tip}</title></rect>'
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="#1f2933">'
            f"{_num(bar.value)}{escape(unit)}</text>"
        )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#52606d">'
            f"{escape(bar.label)}</text>"
        )
        if bar.note:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{top + plot_h + 31}" text-anchor="middle" fill="#7b8794" '
                f'font-size="11">{escape(bar.note)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    maximum: Decimal | int = 100,
    unit: str = "",
    lines: Sequence[int] = (),
) -> str:
    """Horizontal bars (average score per unit) on a fixed scale, with grade lines (60/80/90)."""
    label_w, value_w, row_h, top = 230, 150, 24, 34
    plot_w = 420
    width = label_w + plot_w + value_w
    height = top + row_h * max(len(bars), 1) + 22
    scale = float(maximum) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="#1f2933">{escape(title)}</text>',
    ]
    bottom = top + row_h * max(len(bars), 1)
    for line in lines:
        x = label_w + plot_w * line / scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="#cbd2d9" stroke-dasharray="3 3"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#7b8794" font-size="11">{line}</text>'
        )
    if not bars:
        parts.append(f'<text x="{label_w}" y="{top + 16}" fill="#7b8794">暂无已评分的项目</text>')
    for i, bar in enumerate(bars):
        y = top + i * row_h
        label = bar.label if len(bar.label) <= 16 else bar.label[:15] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="#1f2933">{escape(label)}'
            f"<title>{escape(bar.label)}</title></text>"
        )
        if bar.value is None:
            parts.append(f'<text x="{label_w + 6}" y="{y + 16}" fill="#7b8794">{escape(bar.note)}</text>')
            continue
        w = plot_w * min(float(bar.value), scale) / scale
        tip = escape(bar.title or f"{bar.label}：{_num(bar.value)}{unit}")
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{bar.colour}">'
            f"<title>{tip}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" fill="#1f2933">{_num(bar.value)}{escape(unit)}'
            f"{escape(bar.note)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
