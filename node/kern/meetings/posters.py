"""A meeting's A4 poster for the notice boards: its words, its QR code and its layout.

One layout, computed here in millimetres, feeds both the SVG (templates/kern/poster.svg) and
the PDF (drawn with fpdf2 below), so the two show the same poster. Text is measured with the
metrics of Helvetica, the PDF's own font; the SVG names Helvetica and its metric twins
(Arial, Liberation Sans), so lines wrapped here fit there too. The HTML poster lays itself out
with CSS (templates/static/poster.css) from the same `Poster`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import segno
from markdown_it import MarkdownIt

from node.db import Database
from node.settings import HEX_COLOUR_RE, Settings
from node.web.i18n import _, dutch_date

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SUMMARY_LIMIT = 280
TEXT_COLOUR = "#1b1b1b"
WHITE = "#ffffff"
CANCEL_RED = "#b3261e"
QR_BORDER = 4  # the quiet zone scanners need, in modules

# Single-line fields lose control characters: they are invisible on paper and would make
# the SVG ill-formed XML (autoescaping does not remove them).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Same parser settings as the site (node/web/markdown.py): raw HTML stays literal text.
_markdown = MarkdownIt("commonmark", {"html": False}).disable("image")


# --- the poster's words -------------------------------------------------------------------


@dataclass(frozen=True)
class Poster:
    slug: str
    url: str
    title: str
    day: str
    time: str
    place_name: str
    place_address: str
    summary: str
    kern: str
    group: str
    cancelled: bool
    cancel_reason: str
    primary: str
    accent: str

    @property
    def when(self) -> str:
        return f"{self.day}, {self.time}"

    @property
    def pale_primary(self) -> bool:
        """A kern colour too light for white text (possible from the settings file)."""
        return contrast_ratio(self.primary, WHITE) < 4.5

    @property
    def on_primary(self) -> str:
        return TEXT_COLOUR if self.pale_primary else WHITE

    @property
    def primary_text(self) -> str:
        """The kern's colour for text on white paper, or plain dark text if it is too light."""
        return TEXT_COLOUR if self.pale_primary else self.primary


def meeting_path(slug: str) -> str:
    return f"/bijeenkomsten/{quote(slug)}"


def load_poster(db: Database, settings: Settings, site: dict, slug: str) -> Poster | None:
    """The poster of a meeting that is not removed, or None."""
    row = db.one(
        """SELECT slug, title, description, starts_at, ends_at, place_name, place_address,
                  status, cancel_reason
           FROM meetings WHERE slug = ? AND removed_at IS NULL""",
        (slug,),
    )
    if row is None:
        return None
    day, time = when_lines(row["starts_at"], row["ends_at"])
    return Poster(
        slug=row["slug"],
        url=settings.url(meeting_path(row["slug"])),
        title=one_line(row["title"]),
        day=day,
        time=time,
        place_name=one_line(row["place_name"]),
        place_address=one_line(row["place_address"]),
        summary=first_paragraph(row["description"]),
        kern=one_line(settings.name),
        group=one_line(site.get("group_name") or "") or _("Inwonersgroep"),
        cancelled=row["status"] == "geannuleerd",
        cancel_reason=one_line(row["cancel_reason"]),
        primary=_colour(site.get("colour_primary"), settings.colour_primary),
        accent=_colour(site.get("colour_accent"), settings.colour_accent),
    )


def one_line(text: str | None) -> str:
    return " ".join(_CONTROL.sub(" ", text or "").split())


def _local(stored: str) -> datetime:
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:  # stored times are UTC, whether or not they say so
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(AMSTERDAM)


def _clock(moment: datetime) -> str:
    return f"{moment.hour}.{moment.minute:02d}"  # Dutch writes 19.30, not 19:30


def when_lines(starts_at: str, ends_at: str) -> tuple[str, str]:
    """('maandag 2 maart 2026', '19.30 – 21.30 uur') in Europe/Amsterdam."""
    start, end = _local(starts_at), _local(ends_at)
    day = dutch_date(start.date(), "full")
    if end.date() == start.date():
        return day, _("%(start)s – %(end)s uur") % {"start": _clock(start), "end": _clock(end)}
    until = _("tot %(day)s, %(time)s uur") % {
        "day": dutch_date(end.date(), "full"),
        "time": _clock(end),
    }
    return _("%(day)s, %(time)s uur") % {"day": day, "time": _clock(start)}, until


def first_paragraph(source: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first paragraph of a Markdown text as plain words, cut at a word near `limit`."""
    tokens = _markdown.parse(source or "")
    for index, token in enumerate(tokens[:-1]):
        if token.type != "paragraph_open":
            continue
        parts = []
        for child in tokens[index + 1].children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        text = one_line("".join(parts))
        if text:
            return shorten(text, limit)
    return ""


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:–-") + "…"


def _colour(value: object, fallback: str) -> str:
    return value.lower() if isinstance(value, str) and HEX_COLOUR_RE.match(value) else fallback


def contrast_ratio(hex_a: str, hex_b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""

    def luminance(value: str) -> float:
        channels = [int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(hex_a), luminance(hex_b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# --- the QR code --------------------------------------------------------------------------


def qr_code(url: str) -> segno.QRCode:
    # Level M survives a crease or a drawing pin; boost_error raises it when the size allows.
    return segno.make_qr(url, error="m", boost_error=True)


def qr_modules(qr: segno.QRCode) -> int:
    """Width of the symbol in modules, quiet zone included."""
    return qr.symbol_size(border=QR_BORDER)[0]


def qr_path(qr: segno.QRCode) -> str:
    """The dark modules as one SVG path in module units, a rectangle per horizontal run."""
    parts = []
    for y, row in enumerate(qr.matrix_iter(scale=1, border=0)):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            parts.append(f"M{start + QR_BORDER} {y + QR_BORDER}h{x - start}v1h-{x - start}z")
    return "".join(parts)


def qr_png(qr: segno.QRCode, scale: int = 12) -> bytes:
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=QR_BORDER)
    return buffer.getvalue()


# --- one A4 layout, in millimetres --------------------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 15.0
CONTENT_W = PAGE_W - 2 * MARGIN
PT = 25.4 / 72  # millimetres per point
BAND_H = 44.0
ACCENT_H = 5.0
QR_SIZE = 56.0
QR_X = PAGE_W - MARGIN - QR_SIZE
QR_TOP = PAGE_H - MARGIN - 9.0 - QR_SIZE
MIDDLE_END = QR_TOP - 7.0
# What gives way when the text is long: first the summary, then everything shrinks.
FIT_STEPS = ((1.0, 6), (1.0, 4), (1.0, 2), (0.9, 2), (0.9, 0), (0.8, 0), (0.7, 0), (0.6, 0))
TITLE_SIZES = (44, 40, 36, 32, 28)
# fpdf2's core fonts speak windows-1252: Dutch letters, € and curly quotes are all in it.
PDF_ENCODING = "windows-1252"
_FOLD = {"\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2009": " ", "\u202f": " "}


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    size: float  # points
    text: str
    colour: str = TEXT_COLOUR
    bold: bool = False
    anchor: str = "start"  # start, middle or end, as SVG's text-anchor

    @property
    def size_mm(self) -> float:
        return self.size * PT


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass
class Layout:
    boxes: list[Box] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    qr_x: float = QR_X
    qr_y: float = QR_TOP
    qr_size: float = QR_SIZE


def pdf_text(text: str) -> str:
    """Text the PDF's core font can show: other characters lose their accent, or become '?'."""
    out = []
    for char in text:
        char = _FOLD.get(char, char)
        try:
            char.encode(PDF_ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            base = (
                unicodedata.normalize("NFKD", char)
                .encode(PDF_ENCODING, "ignore")
                .decode(PDF_ENCODING)
            )
            out.append(base or "?")
    return "".join(out)


class _Measure:
    """Helvetica's widths, through fpdf2, for wrapping and fitting lines."""

    def __init__(self) -> None:
        from fpdf import FPDF  # heavy (fontTools): loaded only when a PDF is asked for

        self.pdf = FPDF(unit="mm", format="A4")
        self.pdf.core_fonts_encoding = PDF_ENCODING

    def width(self, text: str, size: float, bold: bool = False) -> float:
        self.pdf.set_font("Helvetica", "B" if bold else "", size)
        return self.pdf.get_string_width(pdf_text(text))

    def fit(self, text: str, size: float, bold: bool, width: float, smallest: float) -> float:
        while size > smallest and self.width(text, size, bold) > width:
            size -= 1
        return size

    def wrap(self, text: str, size: float, bold: bool, width: float, max_lines: int) -> list[str]:
        lines: list[str] = []
        for word in text.split():
            while self.width(word, size, bold) > width:  # a word wider than the page
                cut = len(word) - 1
                while cut > 1 and self.width(word[:cut], size, bold) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            if lines and self.width(f"{lines[-1]} {word}", size, bold) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        if len(lines) > max_lines:
            last = lines[max_lines - 1]
            while last and self.width(last + "…", size, bold) > width:
                last = last[:-1]
            lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
        return lines


class _Column:
    """Stacks wrapped lines and boxes down the page from `y`."""

    def __init__(self, measure: _Measure, x: float, width: float, y: float):
        self.measure, self.x, self.width, self.y = measure, x, width, y
        self.texts: list[Text] = []
        self.boxes: list[Box] = []

    def lines(
        self,
        text: str,
        size: float,
        bold: bool = False,
        colour: str = TEXT_COLOUR,
        max_lines: int = 2,
        leading: float = 1.2,
    ) -> None:
        for line in self.measure.wrap(text, size, bold, self.width, max_lines):
            height = size * PT * leading
            baseline = self.y + size * PT * 0.76 + (height - size * PT) / 2
            self.texts.append(Text(self.x, baseline, size, line, colour, bold))
            self.y += height

    def gap(self, mm: float) -> None:
        self.y += mm


def _middle(poster: Poster, measure: _Measure, scale: float, summary_lines: int) -> _Column:
    """Title, cancellation, when, where and the short text, between the band and the QR."""
    column = _Column(measure, MARGIN, CONTENT_W, BAND_H + ACCENT_H + 10 * scale)
    if poster.cancelled:
        height = 22 * scale
        word = _("GEANNULEERD")
        size = measure.fit(word, 44 * scale, True, CONTENT_W - 10, 16)
        column.boxes.append(Box(MARGIN, column.y, CONTENT_W, height, CANCEL_RED))
        baseline = column.y + (height + size * PT * 0.72) / 2
        column.texts.append(Text(PAGE_W / 2, baseline, size, word, WHITE, True, "middle"))
        column.gap(height + 4 * scale)
        column.lines(_("Deze bijeenkomst gaat niet door."), 18 * scale, True, CANCEL_RED, 1)
        if poster.cancel_reason:
            reason = _("Reden: %(reason)s") % {"reason": poster.cancel_reason}
            column.lines(reason, 16 * scale, False, TEXT_COLOUR, 3)
        column.gap(6 * scale)

    column.lines(poster.title, _title_size(poster, measure) * scale, True, TEXT_COLOUR, 4, 1.12)
    column.gap(7 * scale)

    label = 14 * scale
    column.lines(_("Wanneer").upper(), label, True, poster.primary_text, 1)
    column.lines(poster.day, 24 * scale, True, TEXT_COLOUR, 2)
    column.lines(poster.time, 24 * scale, False, TEXT_COLOUR, 2)
    column.gap(6 * scale)
    column.lines(_("Waar").upper(), label, True, poster.primary_text, 1)
    column.lines(poster.place_name, 22 * scale, True, TEXT_COLOUR, 2)
    if poster.place_address:
        column.lines(poster.place_address, 18 * scale, False, TEXT_COLOUR, 2)
    if poster.summary and summary_lines:
        column.gap(6 * scale)
        column.lines(poster.summary, 15 * scale, False, TEXT_COLOUR, summary_lines, 1.35)
    return column


def _title_size(poster: Poster, measure: _Measure) -> int:
    """The largest title size (points, before scaling) that needs at most three lines."""
    for size in TITLE_SIZES:
        if len(measure.wrap(poster.title, size, True, CONTENT_W, 99)) <= 3:
            return size
    return TITLE_SIZES[-1]


def _band(poster: Poster, measure: _Measure) -> tuple[list[Box], list[Text]]:
    boxes = [
        Box(0, 0, PAGE_W, BAND_H, poster.primary),
        Box(0, BAND_H, PAGE_W, ACCENT_H, poster.accent),
    ]
    kern_size = measure.fit(poster.kern, 40, True, CONTENT_W, 20)
    group = measure.wrap(poster.group, 16, False, CONTENT_W, 1)[0]
    texts = [
        Text(MARGIN, 23, kern_size, poster.kern, poster.on_primary, True),
        Text(MARGIN, 35, 16, group, poster.on_primary),
    ]
    return boxes, texts


def _bottom(poster: Poster, measure: _Measure) -> tuple[list[Box], list[Text]]:
    """Left of the QR code the invitation; under it the address the code leads to."""
    width = QR_X - MARGIN - 8
    column = _Column(measure, MARGIN, width, QR_TOP)
    if not poster.cancelled:
        welcome = _("Iedereen is welkom!")
        size = measure.fit(welcome, 26, True, width - 10, 14)
        badge_w = min(width, measure.width(welcome, size, True) + 10)
        column.boxes.append(Box(MARGIN, QR_TOP, badge_w, 18, poster.accent))
        baseline = QR_TOP + (18 + size * PT * 0.72) / 2
        column.texts.append(Text(MARGIN + 5, baseline, size, welcome, TEXT_COLOUR, True))
        column.gap(24)
        column.lines(_("Meer weten of aanmelden?"), 17, True, TEXT_COLOUR, 2)
    else:
        column.gap(4)
        column.lines(_("Meer weten?"), 17, True, TEXT_COLOUR, 1)
    column.lines(_("Scan de code met de camera van uw telefoon."), 14, False, TEXT_COLOUR, 2)
    url_size = measure.fit(poster.url, 11, False, CONTENT_W, 6)
    url = Text(
        PAGE_W - MARGIN, PAGE_H - MARGIN - 1, url_size, poster.url, TEXT_COLOUR, False, "end"
    )
    return column.boxes, [*column.texts, url]


@dataclass(frozen=True)
class Fit:
    """How much a poster's text had to give way; the HTML poster follows it with CSS classes."""

    scale: float
    summary_lines: int
    title_size: int

    @property
    def scale_class(self) -> str:
        return str(round(self.scale * 100))


def _fit(poster: Poster, measure: _Measure) -> tuple[Fit, _Column]:
    for scale, summary_lines in FIT_STEPS:
        middle = _middle(poster, measure, scale, summary_lines)
        if middle.y <= MIDDLE_END:
            break
    return Fit(scale, summary_lines, _title_size(poster, measure)), middle


def fit(poster: Poster) -> Fit:
    return _fit(poster, _Measure())[0]


def layout(poster: Poster) -> Layout:
    """Where everything goes on the A4 page; long texts shrink until they fit."""
    measure = _Measure()
    boxes, texts = _band(poster, measure)
    middle = _fit(poster, measure)[1]
    bottom_boxes, bottom_texts = _bottom(poster, measure)
    return Layout(
        boxes=[*boxes, *middle.boxes, *bottom_boxes],
        texts=[*texts, *middle.texts, *bottom_texts],
    )


# --- the PDF ------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def render_pdf(poster: Poster) -> bytes:
    """A one-page A4 PDF of the poster, with the QR code as an image and a clickable link."""
    plan = layout(poster)
    from fpdf import FPDF  # heavy (fontTools): loaded only when a PDF is asked for

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(poster.title)
    pdf.set_author(poster.group)
    pdf.set_subject(poster.when)
    pdf.set_creator("Bloei")
    pdf.set_lang("nl")
    pdf.add_page()
    for box in plan.boxes:
        pdf.set_fill_color(*_rgb(box.colour))
        pdf.rect(box.x, box.y, box.w, box.h, style="F")
    for text in plan.texts:
        pdf.set_font("Helvetica", "B" if text.bold else "", text.size)
        pdf.set_text_color(*_rgb(text.colour))
        line = pdf_text(text.text)
        width = pdf.get_string_width(line)
        x = {"start": text.x, "middle": text.x - width / 2, "end": text.x - width}[text.anchor]
        pdf.text(x, text.y, line)
    qr = qr_code(poster.url)
    pdf.image(io.BytesIO(qr_png(qr)), plan.qr_x, plan.qr_y, plan.qr_size, plan.qr_size)
    pdf.link(plan.qr_x, plan.qr_y, plan.qr_size, plan.qr_size, poster.url)
    return bytes(pdf.output())
