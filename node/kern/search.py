"""Search over everything public on the node: SQLite FTS5 with Dutch stemming.

FTS5 only stems English, so words are stemmed here with Snowball's Dutch stemmer and their
accents folded, both when indexing and when searching: "fietsers" finds "fietser",
"speeltuinen" finds "speeltuin", "café" finds "cafe", and every word also matches as a prefix.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from functools import lru_cache

import snowballstemmer

from node.web.markdown import plain_text

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


def index(
    conn: sqlite3.Connection,
    kind: str,
    ref: str,
    url: str,
    title: str,
    summary: str,
    *texts: str,
) -> None:
    """Put (or replace) one public object in the index, in the caller's transaction."""
    remove(conn, kind, ref)
    body = " ".join([title, summary, *(plain_text(t) for t in texts)])
    conn.execute(
        "INSERT INTO search_index (kind, ref, url, title, summary, terms) VALUES (?,?,?,?,?,?)",
        (kind, ref, url, title, summary[:300], terms(body)),
    )


def remove(conn: sqlite3.Connection, kind: str, ref: str) -> None:
    conn.execute("DELETE FROM search_index WHERE kind = ? AND ref = ?", (kind, ref))


def fts_query(query: str) -> str | None:
    """An FTS5 expression from what a person typed: every word must match, as a prefix.

    Each stemmed word is quoted, so no FTS5 syntax from the query string reaches SQLite.
    """
    words = _WORD_RE.findall(_fold(query[:MAX_QUERY_LENGTH]))[:MAX_QUERY_WORDS]
    if not words:
        return None
    return " ".join(f'"{_stem(word)}"*' for word in words)


def search(conn: sqlite3.Connection, query: str, limit: int = 50) -> list[sqlite3.Row]:
    expression = fts_query(query)
    if expression is None:
        return []
    return conn.execute(
        """SELECT kind, ref, url, title, summary FROM search_index
           WHERE search_index MATCH ? ORDER BY rank LIMIT ?""",
        (expression, limit),
    ).fetchall()
