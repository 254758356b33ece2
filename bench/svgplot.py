"""A line chart as a small SVG file: a logarithmic x axis (sizes that grow tenfold), a linear
y axis (or a logarithmic one, for times that span milliseconds to seconds), one line per
series. Hand-written on purpose: the benchmarks draw a few curves, and a
plotting library would be a large dependency for that."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

WIDTH, HEIGHT = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 200, 40, 50
# Colours that stay apart for most colour-blind readers (Okabe-Ito), then greys.
COLOURS = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#F0E442", "#666666", "#999999", "#333333", "#BBBBBB",
]  # fmt: skip


def nice_top(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^n at or above `value`, for the y axis."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def line_chart(
    path: Path,
    title: str,
    x_label: str,
    y_label: str,
    xs: list[float],
    series: dict[str, list[float]],
    target: float | None = None,
    log_y: bool = False,
) -> None:
    """Write the chart; `target` draws a dashed horizontal line (a budget to stay under);
    `log_y` gives the y axis a line per power of ten (values of 0 or less drawn at the
    bottom)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    low, high = math.log10(min(xs)), math.log10(max(xs))
    span = (high - low) or 1.0
    values_y = [v for values in series.values() for v in values] + ([target] if target else [])
    top = nice_top(max(values_y + [0]) * 1.05)
    positive = [v for v in values_y if v > 0] or [1.0]
    y_low = math.floor(math.log10(min(positive)))
    y_high = max(math.ceil(math.log10(max(positive))), y_low + 1)

    def x_at(x: float) -> float:
        return LEFT + (math.log10(x) - low) / span * plot_w

    def y_at(y: float) -> float:
        if log_y:
            share = (math.log10(max(y, 10.0**y_low)) - y_low) / (y_high - y_low)
            return TOP + plot_h - share * plot_h
        return TOP + plot_h - y / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    ticks = [10.0**power for power in range(y_low, y_high + 1)] if log_y else []
    for value in ticks or [top * step / 5 for step in range(6)]:
        y = y_at(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    for x in xs:
        px = x_at(x)
        parts.append(
            f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{TOP + plot_h}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{px:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{x:,.0f}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text transform="translate(16 {TOP + plot_h / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    if target is not None:
        y = y_at(target)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" '
            'stroke="#c00" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{LEFT + plot_w - 4}" y="{y - 5:.1f}" text-anchor="end" fill="#c00">'
            f"doel {target:g}</text>"
        )
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(f"{x_at(x):.1f},{y_at(v):.1f}" for x, v in zip(xs, values, strict=True))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for x, v in zip(xs, values, strict=True):
            parts.append(f'<circle cx="{x_at(x):.1f}" cy="{y_at(v):.1f}" r="3" fill="{colour}"/>')
        legend_y = TOP + 8 + index * 18
        parts.append(
            f'<line x1="{LEFT + plot_w + 14}" y1="{legend_y}" x2="{LEFT + plot_w + 34}" '
            f'y2="{legend_y}" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{LEFT + plot_w + 40}" y="{legend_y + 4}">{escape(name)}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
