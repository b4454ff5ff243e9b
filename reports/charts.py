"""Charts drawn on the server as SVG: no script, no CDN, they print as they show. Each chart is
a picture of a table that the page shows beside it (the numbers, for screen readers and exact
reading), so the SVG itself is one labelled image.

Colours are dark enough to read on white and on a black-and-white print each series also has
its own pattern (solid, stripes, dots), named in the legend."""

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# (fill colour, pattern) per series: the pattern keeps series apart on a grey print.
PALETTE = [
    ("#0b5cad", "solid"),
    ("#c25100", "stripes"),
    ("#216e4e", "dots"),
    ("#6e4fb8", "solid"),
    ("#7f5f01", "stripes"),
    ("#ae2a19", "dots"),
    ("#42526e", "solid"),
    ("#00738a", "stripes"),
]
WIDTH, HEIGHT = 640, 280
FONT = 'font-family="system-ui, Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


def _nice_step(value: float) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) at or above value; at least 1, as the
    figures are mostly counts."""
    if value <= 1:
        return 1.0
    magnitude: float = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _axis(peak: float, ticks: int = 4) -> tuple[float, int]:
    """The axis top and the number of gridlines, so every gridline falls on a round number."""
    step = _nice_step(peak / ticks)
    count = max(1, math.ceil(peak / step))
    return step * count, count


def _nice_max(value: float) -> float:
    return _axis(value)[0]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _defs(uid: str, count: int) -> str:
    parts = []
    for index in range(count):
        colour, pattern = PALETTE[index % len(PALETTE)]
        if pattern == "stripes":
            parts.append(
                f'<pattern id="{uid}-p{index}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
                f'<rect width="2" height="6" fill="#fff" fill-opacity="0.55"/></pattern>'
            )
        elif pattern == "dots":
            parts.append(
                f'<pattern id="{uid}-p{index}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<rect width="6" height="6" fill="{colour}"/><circle cx="3" cy="3" r="1.3" fill="#fff" '
                f'fill-opacity="0.7"/></pattern>'
            )
    return f"<defs>{''.join(parts)}</defs>" if parts else ""


def _fill(uid: str, index: int) -> str:
    colour, pattern = PALETTE[index % len(PALETTE)]
    return colour if pattern == "solid" else f"url(#{uid}-p{index})"


def _legend_rows(series: list[Series]) -> list[list[tuple[int, float]]]:
    """(series index, x) per legend entry, wrapped into rows that fit the width."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = 48.0
    for index, item in enumerate(series):
        width = 16 + 7.2 * len(item.name) + 18
        if rows[-1] and x + width > WIDTH:
            rows.append([])
            x = 48.0
        rows[-1].append((index, x))
        x += width
    return rows


def _legend_height(series: list[Series]) -> int:
    return 0 if len(series) < 2 else 20 * len(_legend_rows(series)) + 8


def _legend(uid: str, series: list[Series]) -> str:
    if len(series) < 2:
        return ""
    parts = []
    for line, entries in enumerate(_legend_rows(series)):
        y = 18 + 20 * line
        for index, x in entries:
            parts.append(
                f'<rect x="{x:.0f}" y="{y - 10:.0f}" width="12" height="12" fill="{_fill(uid, index)}" '
                f'stroke="#172b4d" stroke-width="0.5"/><text x="{x + 16:.0f}" y="{y:.0f}" font-size="12" '
                f'fill="#172b4d" {FONT}>{escape(series[index].name)}</text>'
            )
    return "".join(parts)


def _frame(uid: str, title: str, body: str, height: int) -> SafeString:
    return mark_safe(  # noqa: S308 - every text in body is escaped where it is made
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{uid}-title" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{uid}-title">{escape(title)}</title>{body}</svg>'
    )


def bar_chart(
    *, uid: str, title: str, categories: list[str], series: list[Series], stacked: bool = False
) -> SafeString:
    """Vertical bars per category: side by side, or stacked to a total."""
    legend = _legend_height(series)
    top, left, right = (legend + 8 if legend else 14), 48, 12
    bottom = 52
    height = HEIGHT + legend
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    if stacked:
        peak = max((sum(s.values[i] or 0 for s in series) for i in range(len(categories))), default=0)
    else:
        peak = max((v or 0 for s in series for v in s.values), default=0)
    axis_max, ticks = _axis(peak)
    parts = [_defs(uid, len(series)), _legend(uid, series)]
    for tick in range(ticks + 1):
        value = axis_max * tick / ticks
        y = top + plot_h - plot_h * tick / ticks
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c1c7d0" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#42526e" {FONT}>'
            f"{_number(value)}</text>"
        )
    count = max(len(categories), 1)
    slot = plot_w / count
    # A lone period is not drawn as a wall: bars are at most 48 px wide, centred in their slot.
    group_w = min(slot * 0.75, 48.0 * (1 if stacked else max(len(series), 1)))
    bar_w = group_w / (1 if stacked else max(len(series), 1))
    label_every = max(1, math.ceil(count / 12))
    for i, category in enumerate(categories):
        x0 = left + slot * i + (slot - group_w) / 2
        base = 0.0
        for j, item in enumerate(series):
            value = item.values[i] or 0
            h = plot_h * value / axis_max
            if stacked:
                y = top + plot_h - plot_h * base / axis_max - h
                x = x0
                base += value
            else:
                y = top + plot_h - h
                x = x0 + bar_w * j
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                    f'fill="{_fill(uid, j)}" stroke="#172b4d" stroke-width="0.3"/>'
                )
        if i % label_every == 0:
            cx = left + slot * i + slot / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle" fill="#172b4d" '
                f"{FONT}>{escape(category)}</text>"
            )
    parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#172b4d"/>')
    return _frame(uid, title, "".join(parts), height)


def hbar_chart(
    *, uid: str, title: str, labels: list[str], series: list[Series], unit: str = "", axis_max: float | None = None
) -> SafeString:
    """Horizontal bars, one row per label (agents, organisations, desks): long names fit."""
    legend = _legend_height(series)
    rows = max(len(labels), 1)
    per_series = 14
    row_h = per_series * len(series) + 10
    top, left, right = (legend + 4 if legend else 10), 220, 56
    height = int(top + rows * row_h + 10)
    plot_w = WIDTH - left - right
    peak = max((v or 0 for s in series for v in s.values), default=0)
    axis_max = axis_max or _nice_max(peak)
    parts = [_defs(uid, len(series)), _legend(uid, series)]
    for i, label in enumerate(labels):
        y0 = top + i * row_h + 5
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y0 + row_h / 2 + 1:.1f}" font-size="12" text-anchor="end" fill="#172b4d" '
            f"{FONT}>{escape(short)}</text>"
        )
        for j, item in enumerate(series):
            value = item.values[i]
            y = y0 + j * per_series
            w = plot_w * (value or 0) / axis_max
            if w > 0:
                parts.append(
                    f'<rect x="{left}" y="{y:.1f}" width="{w:.1f}" height="{per_series - 3}" fill="{_fill(uid, j)}" '
                    f'stroke="#172b4d" stroke-width="0.3"/>'
                )
            shown = "–" if value is None else _number(value) + unit
            parts.append(
                f'<text x="{left + w + 4:.1f}" y="{y + per_series - 4:.1f}" font-size="11" fill="#172b4d" '
                f"{FONT}>{escape(shown)}</text>"
            )
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - 10}" stroke="#172b4d"/>')
    return _frame(uid, title, "".join(parts), height)
