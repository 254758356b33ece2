"""Server-side charts: readable without JavaScript, and always shown beside a table with
the same numbers (the table is what screen readers and exports use).

A chart is a list of rows in HTML: the label and the number are page text, so they keep the
page's font size at every width (a 320 px phone included), and only the bars are drawn, each
row as a small SVG that stretches to the room there is. The old single SVG scaled its text
down with the drawing, to a 5 px legend on a phone. The chart as a whole is an image
(`role="img"`) named by its title and a description in words; the table beside it carries the
numbers for screen readers. Colours come from presentation attributes, not a style
attribute, so the page's Content-Security-Policy (no inline styles) lets them through; every
bar also carries its number as text, so colour is never the only way to read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR_COLOUR = "#1f6f43"
# One colour per phase, told apart also by the legend's order and the table.
PHASE_COLOURS = {
    "idee": "#c9a227",
    "verkenning": "#d9822b",
    "planvorming": "#2b7bb9",
    "uitvoering": "#1f6f43",
    "afgerond": "#5a5a5a",
    "gepauzeerd": "#a7a7a7",
    "gestopt": "#9e2a2b",
}
# The bars are drawn in a box of this width; the SVG stretches it over the row.
SCALE = 100


def _number(value: float) -> str:
    """A number as people in the Netherlands write it: a decimal comma."""
    return f"{value:g}".replace(".", ",")


def _bar_svg(parts: Sequence[tuple[float, str]]) -> str:
    """One row's bar: `parts` are (width out of SCALE, colour), drawn side by side."""
    rects = []
    x = 0.0
    for width, colour in parts:
        if width <= 0:
            continue
        rects.append(
            f'<rect x="{round(x, 2)}" y="0" width="{round(width, 2)}" height="1" fill="{colour}"/>'
        )
        x += width
    return (
        f'<svg class="bloei-chart-bar" viewBox="0 0 {SCALE} 1" preserveAspectRatio="none" '
        f'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        + "".join(rects)
        + "</svg>"
    )


def _row(label: str, parts: Sequence[tuple[float, str]], shown: str) -> str:
    return (
        f'<li class="bloei-chart-row"><span class="bloei-chart-label">{escape(label)}</span>'
        f"{_bar_svg(parts)}"
        f'<span class="bloei-chart-value">{escape(shown)}</span></li>'
    )


def _chart(chart_id: str, title: str, description: str, body: list[str]) -> Markup:
    head = (
        f'<div class="bloei-chart" id="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<p class="bloei-visually-hidden" id="{chart_id}-t">{escape(title)}</p>'
        f'<p class="bloei-visually-hidden" id="{chart_id}-d">{escape(description)}</p>'
    )
    return Markup(head + "".join(body) + "</div>")  # noqa: S704 - every value is escaped


def bars(
    chart_id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, float | None]],
    unit: str = "",
    show: Callable[[float], str] | None = None,
) -> Markup:
    """Bars, one per item, with the value written after each bar ("–" for none); `show`
    writes a value another way (say as euros)."""
    top = max((value or 0 for _label, value in items), default=0) or 1
    rows = []
    for label, value in items:
        width = SCALE * value / top if value else 0
        written = show or (lambda number: f"{_number(number)}{unit}")
        shown = "–" if value is None else written(value)
        rows.append(_row(label, [(width, BAR_COLOUR)], shown))
    return _chart(chart_id, title, description, ['<ul class="bloei-chart-rows">', *rows, "</ul>"])


def stacked(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[tuple[str, str]],
    colours: dict[str, str] | None = None,
) -> Markup:
    """One bar per row, split into the series (say phases), with a legend."""
    colours = colours or PHASE_COLOURS
    top = max((sum(values.values()) for _label, values in rows), default=0) or 1
    legend = ['<ul class="bloei-chart-legend">']
    for key, label in series:
        legend.append(
            '<li><svg class="bloei-chart-swatch" viewBox="0 0 1 1" aria-hidden="true" '
            'focusable="false" xmlns="http://www.w3.org/2000/svg">'
            f'<rect width="1" height="1" fill="{colours.get(key, BAR_COLOUR)}"/></svg>'
            f'<span class="bloei-chart-label">{escape(label)}</span></li>'
        )
    legend.append("</ul>")
    body = [*legend, '<ul class="bloei-chart-rows">']
    for label, values in rows:
        parts = [
            (SCALE * values.get(key, 0) / top, colours.get(key, BAR_COLOUR)) for key, _ in series
        ]
        body.append(_row(label, parts, str(sum(values.values()))))
    body.append("</ul>")
    return _chart(chart_id, title, description, body)
