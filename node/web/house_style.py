"""A kern's own colours as design tokens (/huisstijl.css), and the contrast rules they keep.

A group picks a main colour and the colour of text on it. Everything else that depends on
them is derived here, so the pair alone decides and no choice can make a page unreadable:

* the pair itself must reach 4.5:1 (WCAG 2.1, 1.4.3), checked when beheer saves it;
* links and outlined buttons sit on the white page: they use the main colour, darkened until
  it reaches 4.5:1 against white when the group chose a light one;
* a button's hover moves the main colour away from its text colour, which only adds contrast;
* the focus ring in the header is yellow, dark or white, whichever stands out most against
  the main colour: at least 3:1 (WCAG 2.2, 2.4.13) for any colour.

The style sheet's URL carries a hash of its text, so a browser keeps it as long as the
colours do not change (node/web/static_assets.py does the same for the static files).
"""

from __future__ import annotations

from functools import lru_cache

from node.settings import Settings
from node.web.static_assets import content_version

WHITE = "#ffffff"
DARK = "#1b1b1b"
YELLOW = "#ffdd00"
# WCAG 2.1: normal text, and focus indicators and other non-text contrast.
TEXT_CONTRAST = 4.5
FOCUS_CONTRAST = 3.0


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of a #rrggbb colour."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (value / 255 for value in _channels(colour))
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` (0..1) of `other` mixed in, per sRGB channel."""
    mixed = (
        round(a * (1 - share) + b * share)
        for a, b in zip(_channels(colour), _channels(other), strict=True)
    )
    return "#" + "".join(f"{value:02x}" for value in mixed)


def readable_on_white(colour: str) -> str:
    """`colour`, darkened in small steps until text in it reaches 4.5:1 on white."""
    share = 0.0
    candidate = colour
    while contrast_ratio(candidate, WHITE) < TEXT_CONTRAST and share < 1:
        share = min(1.0, share + 0.05)
        candidate = mix(colour, "#000000", share)
    return candidate


def focus_ring_on(colour: str) -> str:
    """The ring colour that stands out most against `colour` (yellow when it is enough)."""
    if contrast_ratio(YELLOW, colour) >= FOCUS_CONTRAST:
        return YELLOW
    return max((DARK, WHITE), key=lambda ring: contrast_ratio(ring, colour))


def colours(settings: Settings, site: dict) -> dict[str, str]:
    """The kern's colours: from beheer (the `site` table) or else from bloei.toml."""
    primary = site.get("colour_primary") or settings.colour_primary
    return {
        "primary": primary,
        "primary_text": site.get("colour_primary_text") or WHITE,
        "accent": site.get("colour_accent") or settings.colour_accent,
    }


def house_style_css(settings: Settings, site: dict) -> str:
    chosen = colours(settings, site)
    return _css_for(chosen["primary"], chosen["primary_text"], chosen["accent"])


# Every page links the stylesheet by its version: the colour arithmetic and the hash are
# done once per choice of colours, not once per page.
@lru_cache(maxsize=64)
def _css_for(primary: str, text: str, accent: str) -> str:
    text_is_light = relative_luminance(text) > relative_luminance(primary)
    # Away from the text colour: darker under light text, lighter under dark text.
    hover = mix(primary, "#000000", 0.25) if text_is_light else mix(primary, WHITE, 0.35)
    link = readable_on_white(primary)
    return (
        ":root {\n"
        f"  --bloei-color-primary: {primary};\n"
        f"  --bloei-color-primary-dark: {hover};\n"
        f"  --bloei-color-primary-contrast: {text};\n"
        f"  --bloei-color-link: {link};\n"
        f"  --bloei-color-link-hover: {mix(link, '#000000', 0.25)};\n"
        f"  --bloei-color-accent: {accent};\n"
        f"  --bloei-color-header-focus: {focus_ring_on(primary)};\n"
        "}\n"
    )


def house_style_url(settings: Settings, site: dict) -> str:
    """/huisstijl.css with the version of its current text: a new colour is a new URL."""
    chosen = colours(settings, site)
    return _url_for(chosen["primary"], chosen["primary_text"], chosen["accent"])


@lru_cache(maxsize=64)
def _url_for(primary: str, text: str, accent: str) -> str:
    return f"/huisstijl.css?v={content_version(_css_for(primary, text, accent).encode())}"
