"""Conditional requests at the gemeente: its actor, outbox and open-data API answer 304 to a
client that has the current answer, by ETag (weak comparison) or If-Modified-Since, and the
full answer again once the data changed (RFC 9110 §13)."""

from __future__ import annotations

import pytest

VERSIONED = ("/actor", "/actor/outbox", "/actor/outbox?page=true", "/api/v1/kernen")


def age_last_change(db, seconds: int = 10) -> None:
    """As if the last change were `seconds` ago: only a change whose second is over is
    dated, and tests do not wait."""
    db.write_quiet(
        lambda conn: conn.execute(
            "UPDATE meta SET value = value - ? WHERE key = 'data_changed_at'", (seconds,)
        )
    )


@pytest.mark.parametrize("path", VERSIONED)
async def test_an_unchanged_answer_is_a_304_by_tag_or_date(two_kernen, gemeente_db, path):
    http, _ids = two_kernen
    age_last_change(gemeente_db)
    first = await http.get(path)
    assert first.status_code == 200
    etag, stamp = first.headers["etag"], first.headers["last-modified"]

    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"iets-anders", W/{etag.removeprefix("W/")}'},
        {"If-Modified-Since": stamp},
    ):
        again = await http.get(path, headers=headers)
        assert again.status_code == 304, headers
        assert again.content == b""
        # The same tag; weak when the client holds the compressed form (node/web/compression.py).
        assert again.headers["etag"].removeprefix("W/") == etag.removeprefix("W/")


async def test_a_changed_kern_list_is_a_full_answer_again(two_kernen, gemeente_db):
    http, ids = two_kernen
    age_last_change(gemeente_db)
    first = await http.get("/api/v1/kernen")
    etag, stamp = first.headers["etag"], first.headers["last-modified"]

    gemeente_db.write(
        lambda conn: conn.execute(
            "UPDATE gemeente_kernen SET name = 'Beesd (Linge)' WHERE id = ?", (ids["beesd.test"],)
        )
    )
    by_tag = await http.get("/api/v1/kernen", headers={"If-None-Match": etag})
    by_date = await http.get("/api/v1/kernen", headers={"If-Modified-Since": stamp})
    assert by_tag.status_code == by_date.status_code == 200
    assert "Beesd (Linge)" in by_tag.text and "Beesd (Linge)" in by_date.text
