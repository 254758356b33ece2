"""The overview map: each kern of the municipality as a dot at its centre, drawn as SVG on the
server from the coordinates in the kernen file, so no map tiles, scripts or outside requests.

The projection is the simplest that is right at this scale (a municipality is some 25 km
across): longitude shrunk by the cosine of the middle latitude, so distances look true. The
state is told by shape and fill as well as colour (WCAG 1.4.1): an open ring for nog niet, a
half-filled dot for pilot, a filled dot for aangesloten. The table beside it carries the same
facts for a screen reader; the map itself is one image with a text summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH = 640
PADDING = 48
# Room on the right for the names of the kernen furthest east.
PADDING_RIGHT = 110
LABEL_GAP = 4
FONT_HEIGHT = 13


def _radius(inhabitants: int) -> float:
    # Area grows with inhabitants, within limits that keep small kernen visible.
    return max(5.0, min(16.0, math.sqrt(inhabitants) / 7))


def draw_map(entries: Sequence[Mapping[str, Any]], title: str, summary: str) -> Markup:
    """`entries` as `node.gemeente.places.rollout` returns them."""
    places = [entry["place"] for entry in entries]
    north = max(place.latitude for place in places)
    south = min(place.latitude for place in places)
    west = min(place.longitude for place in places)
    east = max(place.longitude for place in places)
    shrink = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * shrink, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = (WIDTH - PADDING - PADDING_RIGHT) / span_x
    height = round(span_y * scale + 2 * PADDING)

    def point(latitude: float, longitude: float) -> tuple[float, float]:
        return (
            PADDING + (longitude - west) * shrink * scale,
            PADDING + (north - latitude) * scale,
        )

    parts = [
        f'<svg class="bloei-map" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="kaart-titel kaart-uitleg" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="kaart-titel">{escape(title)}</title>',
        f'<desc id="kaart-uitleg">{escape(summary)}</desc>',
    ]
    # Largest first, so a small kern's dot is never hidden under a big neighbour's.
    for entry in sorted(entries, key=lambda e: -e["place"].inhabitants):
        place = entry["place"]
        x, y = point(place.latitude, place.longitude)
        radius = _radius(place.inhabitants)
        state = entry["state"]
        parts.append(f'<g class="bloei-map__kern bloei-map__kern--{state}">')
        parts.append(f"<title>{escape(place.name)}</title>")
        parts.append(f'<circle class="bloei-map__dot" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"/>')
        if state == "pilot":
            # The left half filled: a pilot is on its way.
            parts.append(
                f'<path class="bloei-map__half" d="M {x:.1f} {y - radius:.1f} '
                f'A {radius:.1f} {radius:.1f} 0 0 0 {x:.1f} {y + radius:.1f} Z"/>'
            )
        parts.append(_label(place.name, place.label, x, y, radius))
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every name and text went through escape()


def _label(name: str, side: str, x: float, y: float, radius: float) -> str:
    gap = radius + LABEL_GAP
    anchor, dx, dy = {
        "right": ("start", gap, 0.0),
        "left": ("end", -gap, 0.0),
        "above": ("middle", 0.0, -gap - FONT_HEIGHT / 2),
        "below": ("middle", 0.0, gap + FONT_HEIGHT / 2),
    }[side]
    return (
        f'<text class="bloei-map__label" x="{x + dx:.1f}" y="{y + dy:.1f}" '
        f'text-anchor="{anchor}" dominant-baseline="middle">{escape(name)}</text>'
    )
