"""Markdown from the group, rendered and sanitised before it reaches any page."""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is escaped by the parser; nh3 then keeps only a small safe set of
# tags, so even a parser bug cannot put script or event handlers on a page.
_parser = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=2048)
def render_markdown(source: str) -> Markup:
    html = _parser.render(source or "")
    # Headings start at h2: the page's own title is the only h1.
    for level in (3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def plain_text(source: str) -> str:
    """The words of a Markdown text without markup, for search and summaries."""
    return nh3.clean(_parser.render(source or ""), tags=set()).strip()


# Lists show the summary of every item on every visit; like render_markdown, remembered.
@lru_cache(maxsize=2048)
def summary(source: str, length: int) -> str:
    """The words of a Markdown text as plain text, cut at a word to at most `length`
    characters (with "…"), for lists."""
    # plain_text gives HTML-escaped text; pages and search escape it once more themselves.
    text = " ".join(html.unescape(plain_text(source)).split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"
