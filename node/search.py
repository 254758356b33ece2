"""Dutch search terms, the same for both roles: Snowball's Dutch stemmer over SQLite FTS5.

FTS5 only stems English, so words are stemmed here with Snowball's Dutch stemmer and their
accents folded, both when indexing and when searching: "fietsers" finds "fietser",
"speeltuinen" finds "speeltuin", "café" finds "cafe", and every word also matches as a prefix.
The kern's site search (node/kern/search.py) and the gemeente's project search and thema
categories use these, so a word finds the same things on every node.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

_stemmer = snowballstemmer.stemmer("dutch")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> str:
    """Stemmed, accent-folded words of a text, as stored in the index."""
    return " ".join(_stem(word) for word in _WORD_RE.findall(_fold(text)))


def fts_query(query: str) -> str | None:
    """An FTS5 expression from what a person typed: every word must match, as a prefix.

    Each stemmed word is quoted, so no FTS5 syntax from the query string reaches SQLite.
    """
    stems = _query_stems(query)
    if not stems:
        return None
    return " ".join(f'"{stem}"*' for stem in stems)


def _query_stems(query: str) -> list[str]:
    words = _WORD_RE.findall(_fold(query[:MAX_QUERY_LENGTH]))[:MAX_QUERY_WORDS]
    return [_stem(word) for word in words]


def _matches(text: str, stems: list[str]) -> list[tuple[int, int]]:
    """Where words of text match the query the way the index does: stem, then prefix."""
    spans = []
    for match in _WORD_RE.finditer(text):
        stem = _stem(_fold(match.group()))
        if any(stem.startswith(wanted) for wanted in stems):
            spans.append(match.span())
    return spans


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    """text[start:end] escaped, with the matching words inside <mark>."""
    out = []
    position = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        out.append(escape(text[position:span_start]))
        out.append(Markup("<mark>%s</mark>") % text[span_start:span_end])
        position = span_end
    out.append(escape(text[position:end]))
    return Markup("").join(out)


def highlight(text: str, query: str) -> Markup:
    """The whole text escaped, the words that made it match marked."""
    return _marked(text, _matches(text, _query_stems(query)), 0, len(text))


def passage(text: str, query: str, width: int = 240) -> Markup | None:
    """The passage of text around its first match, escaped, the matching words marked.

    None when no word of the text matches (the match was in the title, or further on than
    the stored text reaches); the caller then shows the start of the text instead.
    """
    spans = _matches(text, _query_stems(query))
    if not spans:
        return None
    first_start = spans[0][0]
    start = max(0, first_start - width // 3)
    end = min(len(text), start + width)
    # Cut at spaces, so that no word is shown half.
    if start > 0:
        space = text.find(" ", start, first_start)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", max(start, spans[0][1]), end)
        end = space if space != -1 else end
    body = _marked(text, spans, start, end).strip()
    before = "… " if start > 0 else ""
    after = " …" if end < len(text) else ""
    return escape(before) + body + escape(after)


def passage_start(text: str, width: int = 240) -> Markup:
    """The start of text, escaped, cut at a space: shown when the match was elsewhere."""
    if len(text) <= width:
        return escape(text)
    space = text.rfind(" ", 0, width)
    return escape(text[: space if space > 0 else width]) + Markup(" …")
