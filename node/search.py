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
    words = _WORD_RE.findall(_fold(query[:MAX_QUERY_LENGTH]))[:MAX_QUERY_WORDS]
    if not words:
        return None
    return " ".join(f'"{_stem(word)}"*' for word in words)
