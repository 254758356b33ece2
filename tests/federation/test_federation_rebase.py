"""The rule that moves ids from an old base to a new one when an actor moves (rebase.py)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from federation.rebase import Rebase, RebaseError, rebase_column, rebase_json_column

OLD = "https://beesd.example"
NEW = "https://beesd.nl"
RULE = Rebase(OLD, NEW)


# --- covers and id -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        OLD,
        OLD + "/",
        OLD + "/projecten/speeltuin",
        OLD + "?pagina=2",
        OLD + "#top",
        OLD + "/projecten/speeltuin?x=1#y",
    ],
)
def test_ids_under_the_old_base_are_covered_and_move(value):
    assert RULE.covers(value)
    assert RULE.id(value) == NEW + value[len(OLD) :]


@pytest.mark.parametrize(
    "value",
    [
        "https://beesd.example.org/x",  # a longer host that starts the same
        "https://beesd.examples/x",
        "https://beesd.example:8443/x",  # another port is another origin
        "https://beesd.example.",
        "http://beesd.example/x",  # another scheme
        "https://BEESD.example/x",  # compared as written
        "https://beesd.exampl",
        "https://andere.example/https://beesd.example/x",
        "Zie https://beesd.example/x",  # a link inside a text
        "",
    ],
)
def test_other_values_are_not_covered_and_stay(value):
    assert not RULE.covers(value)
    assert RULE.id(value) == value


def test_a_base_with_a_path_covers_only_that_path():
    rule = Rebase("https://dorpen.example/beesd", "https://beesd.nl")
    assert rule.covers("https://dorpen.example/beesd/projecten/x")
    assert rule.id("https://dorpen.example/beesd/actor") == "https://beesd.nl/actor"
    assert not rule.covers("https://dorpen.example/beesd-oost/projecten/x")
    assert not rule.covers("https://dorpen.example/")


# --- json --------------------------------------------------------------------------------------


def test_json_moves_every_whole_id_in_nested_values_and_leaves_the_rest():
    document = {
        "id": OLD + "/projecten/speeltuin",
        "type": ["Project"],
        "attributedTo": OLD + "/actor",
        "themas": [OLD + "/agenda/themas/verkeer", {"id": OLD + "/agenda/themas/groen"}],
        "tag": [[OLD + "#a", "https://beesd.example.org/x"]],
        "content": f'<p>Zie <a href="{OLD}/projecten/bankje">het bankje</a>.</p>',
        "summary": f"Meer op {OLD}/projecten/bankje",
        "aantal": 3,
        "klaar": False,
        "leeg": None,
        OLD + "/sleutel": "een sleutel blijft zoals hij is",
    }
    original = json.loads(json.dumps(document))

    moved = RULE.json(document)

    assert moved == {
        **document,
        "id": NEW + "/projecten/speeltuin",
        "attributedTo": NEW + "/actor",
        "themas": [NEW + "/agenda/themas/verkeer", {"id": NEW + "/agenda/themas/groen"}],
        "tag": [[NEW + "#a", "https://beesd.example.org/x"]],
    }
    assert document == original  # a copy, the input stays as it was


@pytest.mark.parametrize("value", [None, 7, 1.5, True, "tekst", []])
def test_json_leaves_values_without_ids_equal(value):
    assert RULE.json(value) == value


# --- making a rule -----------------------------------------------------------------------------


def test_between_takes_public_urls_with_or_without_a_trailing_slash():
    assert Rebase.between(OLD + "/", NEW + "/") == RULE
    assert Rebase.between(OLD, NEW + "/") == RULE
    assert Rebase.between("https://x.example/beesd/", NEW) == Rebase("https://x.example/beesd", NEW)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD, OLD),
        ("ftp://beesd.example", NEW),
        ("beesd.example", NEW),
        ("https://", NEW),
        (OLD, "/beesd"),
        (OLD + "/", NEW),
        (OLD, NEW + "?x=1"),
        (OLD, NEW + "#x"),
    ],
)
def test_bases_that_cannot_be_related_are_refused(old, new):
    with pytest.raises(RebaseError):
        Rebase(old, new)


def test_between_refuses_the_same_base_written_twice():
    with pytest.raises(RebaseError):
        Rebase.between(OLD + "/", OLD)


def test_between_actors_strips_the_actor_path():
    assert Rebase.between_actors(OLD + "/actor", NEW + "/actor", "/actor") == RULE
    assert Rebase.between_actors(
        "https://x.example/beesd/actor", NEW + "/actor", "/actor"
    ) == Rebase("https://x.example/beesd", NEW)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD + "/actor", NEW + "/users/beesd"),  # the new actor lives elsewhere
        (OLD + "/users/beesd", NEW + "/actor"),  # the old one did
        (OLD + "/actor", OLD + "/actor"),  # the same base
        (OLD + "/actor", "/actor"),  # no base left
        ("ftp://beesd.example/actor", NEW + "/actor"),  # not http(s)
        (OLD + "/actor/", NEW + "/actor"),
    ],
)
def test_between_actors_is_none_when_the_rule_does_not_apply(old, new):
    assert Rebase.between_actors(old, new, "/actor") is None


def test_the_like_pattern_escapes_wildcards():
    rule = Rebase("https://my_node.example/100%", NEW)
    assert rule.like_pattern() == "https://my\\_node.example/100\\%%"


# --- columns -----------------------------------------------------------------------------------


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


def test_rebase_column_on_a_table_without_rowid_within_a_scope(conn):
    conn.execute(
        """CREATE TABLE links (owner INTEGER, target TEXT, PRIMARY KEY (owner, target))
           WITHOUT ROWID"""
    )
    conn.executemany(
        "INSERT INTO links VALUES (?, ?)",
        [
            (1, OLD + "/a"),
            (1, OLD + "/b"),
            (1, OLD),
            (1, "https://beesd.example.org/c"),
            (1, "https://andere.example/d"),
            (2, OLD + "/a"),
        ],
    )

    moved = rebase_column(conn, RULE, "links", "target", "owner = ?", (1,))

    assert moved == 3
    assert sorted(conn.execute("SELECT owner, target FROM links")) == sorted(
        [
            (1, NEW + "/a"),
            (1, NEW + "/b"),
            (1, NEW),
            (1, "https://beesd.example.org/c"),
            (1, "https://andere.example/d"),
            (2, OLD + "/a"),
        ]
    )


def test_rebase_column_counts_values_and_moves_every_row_holding_one(conn):
    conn.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, object_id TEXT)")
    conn.executemany(
        "INSERT INTO log (object_id) VALUES (?)",
        [(OLD + "/x",), (OLD + "/x",), (None,), ("https://beesd.examplex/y",)],
    )

    assert rebase_column(conn, RULE, "log", "object_id") == 1

    assert [r[0] for r in conn.execute("SELECT object_id FROM log ORDER BY id")] == [
        NEW + "/x",
        NEW + "/x",
        None,
        "https://beesd.examplex/y",
    ]


def test_rebase_column_does_not_treat_underscores_as_wildcards(conn):
    rule = Rebase("https://my_node.example", NEW)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("https://myXnode.example/a",)])
    assert rebase_column(conn, rule, "t", "v") == 0
    assert conn.execute("SELECT v FROM t").fetchone()[0] == "https://myXnode.example/a"


def test_rebase_json_column_moves_ids_in_documents_and_skips_what_is_not_json(conn):
    conn.execute("CREATE TABLE docs (key TEXT PRIMARY KEY, kern INTEGER, document TEXT)")
    project = {"id": OLD + "/p", "themas": [OLD + "/t"], "name": "Speeltuin é"}
    text_only = {"id": "https://andere.example/q", "content": f"Zie {OLD}/p"}
    rows = [
        ("p", 1, json.dumps(project)),
        ("text", 1, json.dumps(text_only)),
        ("broken", 1, f"geen json {OLD}/p"),
        ("other", 2, json.dumps({"id": OLD + "/x"})),
    ]
    conn.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)

    def dump(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    changed = rebase_json_column(
        conn, RULE, "docs", "key", "document", dump=dump, where="kern = ?", params=(1,)
    )

    assert changed == 1
    stored = dict(conn.execute("SELECT key, document FROM docs"))
    assert stored["p"] == dump({"id": NEW + "/p", "themas": [NEW + "/t"], "name": "Speeltuin é"})
    assert stored["text"] == rows[1][2]
    assert stored["broken"] == rows[2][2]
    assert stored["other"] == rows[3][2]  # outside the scope


def test_rebase_json_column_dumps_with_json_by_default(conn):
    conn.execute("CREATE TABLE docs (key INTEGER PRIMARY KEY, document TEXT)")
    conn.execute("INSERT INTO docs (document) VALUES (?)", (json.dumps([OLD + "/a", "é"]),))
    assert rebase_json_column(conn, RULE, "docs", "key", "document") == 1
    assert conn.execute("SELECT document FROM docs").fetchone()[0] == f'["{NEW}/a", "é"]'
