"""The kern's site search: every public object in one SQLite FTS5 table.

The Dutch stemming and the query syntax are shared with the gemeente (node/search.py); this
module keeps the kern's index up to date and answers its search page.
"""

from __future__ import annotations

import html
import sqlite3

from node.search import fts_query, terms
from node.web.markdown import plain_text

# How much readable text is kept per object for the passage shown with a result.
SHOWN_LENGTH = 4000


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
    # plain_text gives HTML-escaped text; the results page escapes once more itself.
    shown = " ".join(" ".join([summary, *(html.unescape(plain_text(t)) for t in texts)]).split())
    # The summary column keeps the readable text (summary, then body) so that the results
    # page can show the passage where a word matched; terms holds only stems.
    conn.execute(
        "INSERT INTO search_index (kind, ref, url, title, summary, terms) VALUES (?,?,?,?,?,?)",
        (kind, ref, url, title, shown[:SHOWN_LENGTH], terms(" ".join([title, shown]))),
    )


def remove(conn: sqlite3.Connection, kind: str, ref: str) -> None:
    conn.execute("DELETE FROM search_index WHERE kind = ? AND ref = ?", (kind, ref))


def search(conn: sqlite3.Connection, query: str, limit: int = 50) -> list[sqlite3.Row]:
    expression = fts_query(query)
    if expression is None:
        return []
    return conn.execute(
        """SELECT kind, ref, url, title, summary FROM search_index
           WHERE search_index MATCH ? ORDER BY rank LIMIT ?""",
        (expression, limit),
    ).fetchall()
