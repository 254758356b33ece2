"""Server-side SVG charts: readable without JavaScript, and always shown beside a table with
the same numbers (the table is what screen readers and exports use).

Each chart is an inline `<svg role="img">` with a title and a description that says what it
shows in words. Colours come from presentation attributes, not a style attribute, so the
page's Content-Security-Policy (no inline styles) lets them through; every bar also carries
its number as text, so colour is never the only way to read it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 150
BAR = 18
GAP = 8
TOP = 8
TEXT = "#1a1a1a"
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


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg class="bloei-chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every value is escaped


def bars(
    chart_id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, float | None]],
    unit: str = "",
) -> Markup:
    """Horizontal bars, one per item, with the value written after each bar ("–" for none)."""
    top = max((value or 0 for _label, value in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 70
    body = []
    for row, (label, value) in enumerate(items):
        y = TOP + row * (BAR + GAP)
        width = round(room * value / top, 1) if value else 0
        shown = "–" if value is None else f"{value:g}{unit}"
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 5}" text-anchor="end" '
            f'font-size="13" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR}" fill="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR - 5}" font-size="13" '
            f'fill="{TEXT}">{escape(shown)}</text>'
        )
    height = TOP * 2 + max(1, len(items)) * (BAR + GAP)
    return _svg(chart_id, title, description, height, body)


def stacked(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[tuple[str, str]],
    colours: dict[str, str] | None = None,
) -> Markup:
    """One horizontal bar per row, split into the series (say phases), with a legend."""
    colours = colours or PHASE_COLOURS
    top = max((sum(values.values()) for _label, values in rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 50
    body = []
    legend_y = TOP
    x = 0.0
    for key, label in series:
        body.append(
            f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{colours.get(key, BAR_COLOUR)}"/>'
            f'<text x="{x + 16}" y="{legend_y + 11}" font-size="12" fill="{TEXT}">{escape(label)}</text>'
        )
        x += 22 + 7 * len(label)
    start = TOP + 24
    for row, (label, values) in enumerate(rows):
        y = start + row * (BAR + GAP)
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 5}" text-anchor="end" '
            f'font-size="13" fill="{TEXT}">{escape(label)}</text>'
        )
        offset = float(LABEL_WIDTH)
        for key, _series_label in series:
            value = values.get(key, 0)
            if not value:
                continue
            width = round(room * value / top, 1)
            body.append(
                f'<rect x="{offset}" y="{y}" width="{width}" height="{BAR}" '
                f'fill="{colours.get(key, BAR_COLOUR)}" stroke="#ffffff" stroke-width="1"/>'
            )
            offset += width
        body.append(
            f'<text x="{offset + 6}" y="{y + BAR - 5}" font-size="13" fill="{TEXT}">'
            f"{sum(values.values())}</text>"
        )
    height = start + TOP + max(1, len(rows)) * (BAR + GAP)
    return _svg(chart_id, title, description, height, body)
