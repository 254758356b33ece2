"""Reading HTML in tests through a parser: a check on structure (a link with this href, a
heading with this text, a field with this value) looks at elements, not at a substring that
could sit in a comment, an attribute or another part of the page.

Plain sentences on a page may stay substring checks; use these where the element matters.
Named `markup`, not `html`, so it never hides the standard library's `html` module.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

FIELD_TAGS = ("input", "textarea", "select")


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _root(html: str | Tag) -> Tag:
    return html if isinstance(html, Tag) else parse(html)


def select(html: str | Tag, css: str) -> list[Tag]:
    """Every element that matches the CSS selector, in document order."""
    return _root(html).select(css)


def select_one(html: str | Tag, css: str) -> Tag:
    """The one element that matches; fails the test, naming the selector, when none does."""
    found = _root(html).select(css)
    assert found, f"no element matches {css!r}"
    assert len(found) == 1, f"{len(found)} elements match {css!r}, expected one"
    return found[0]


def text_of(html: str | Tag, css: str | None = None) -> str:
    """The text of the page (or of the one element matching `css`), whitespace collapsed."""
    element = select_one(html, css) if css else _root(html)
    return " ".join(element.get_text(" ").split())


def texts(html: str | Tag, css: str) -> list[str]:
    """The text of each element matching `css`, whitespace collapsed."""
    return [" ".join(element.get_text(" ").split()) for element in select(html, css)]


def link_targets(html: str | Tag, css: str = "a") -> list[str]:
    """The href of each link matching `css` (default: every link), in document order."""
    return [str(a["href"]) for a in select(html, css) if a.has_attr("href")]


def visible_text(element: Tag) -> str:
    """The text a sighted reader sees: without the parts only screen readers read
    (`bloei-visually-hidden`), whitespace collapsed."""
    parts = [
        str(piece)
        for piece in element.find_all(string=True)
        if not any("bloei-visually-hidden" in (p.get("class") or []) for p in piece.parents)
    ]
    return " ".join(" ".join(parts).split())


def links_with_text(html: str | Tag, text: str) -> list[str]:
    """The hrefs of the links whose visible text is `text`."""
    return [str(a["href"]) for a in select(html, "a[href]") if visible_text(a) == text]


def field_value(html: str | Tag, name: str) -> str | None:
    """The value a form field named `name` holds: an input's value, a textarea's text, a
    select's chosen option; None when the field is there but empty of a value."""
    field = select_one(html, ", ".join(f'{tag}[name="{name}"]' for tag in FIELD_TAGS))
    if field.name == "textarea":
        return field.get_text()
    if field.name == "select":
        chosen = field.select_one("option[selected]")
        return str(chosen.get("value", chosen.get_text())) if chosen else None
    if field.get("type") in ("checkbox", "radio"):
        return str(field.get("value", "on")) if field.has_attr("checked") else None
    value = field.get("value")
    return None if value is None else str(value)


def option_values(html: str | Tag, name: str) -> list[str]:
    """The values a select named `name` offers."""
    return [
        str(o.get("value", o.get_text())) for o in select(html, f'select[name="{name}"] option')
    ]


def ids(html: str | Tag) -> set[str]:
    """Every id on the page."""
    return {str(element["id"]) for element in select(html, "[id]")}


def field_error(html: str | Tag, field_id: str) -> str:
    """The message shown with one form field (Bloei's `<field>-fout` element), or '' when the
    field has none."""
    found = select(html, f"#{field_id}-fout")
    return " ".join(found[0].get_text(" ").split()) if found else ""
