"""The JSON examples of docs/FEDERATION.md, made from what the code really sends.

A ```json block in the doc that follows a line `<!-- example: NAME -->` is generated:
`generate()` sets up a kern at https://beesd.example with known data (through the same data
functions as beheer), takes each documented document or activity from what the node serves,
publishes or queues, and normalises only what differs from run to run: ids minted at random
(UUIDs, numbered in order of appearance), timestamps (`published`, `updated`, `deleted`,
`created`, and a phase change's `datum`), keys and signatures. test_federation_docs_examples.py
compares every marked block with it, so the doc fails the suite as soon as it drifts from the
code.

After a change to what the node sends, rewrite the marked blocks with:

    python -m tests.federation.docs_examples --write

and without `--write` it lists the blocks that differ (exit status 1 when any does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from federation import followers, follows
from federation.actors import RemoteActor
from federation.identity import LocalIdentity
from federation.keys import generate_key_pair
from node.app import create_app, open_database
from node.kern.agenda import model as agenda
from node.kern.meetings import model as meetings
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.settings import load_settings
from tests.conftest import make_data_dir
from tests.helpers import THEMA, add_project, add_thema
from tests.idea_helpers import add_news
from tests.meeting_helpers import add_meeting

DOC = Path(__file__).resolve().parents[2] / "docs" / "FEDERATION.md"
BASE = "https://beesd.example"
MARK_RE = re.compile(r"(<!-- example: ([a-z0-9-]+) -->\n```json\n)(.*?)(```)", re.DOTALL)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MOMENT = "2026-11-29T12:00:00Z"
TIME_KEYS = frozenset({"published", "updated", "deleted", "created"})
DAY = "2026-11-29"
DAY_KEYS = frozenset({"datum"})  # the day a project changed phase: today, when made here
PLACEHOLDERS = {
    "proofValue": "z3ZZ2v…",
    "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEA…\n-----END PUBLIC KEY-----\n",
    "publicKeyMultibase": "z6Mk…",
}  # fmt: skip
GEMEENTE = "https://gemeente.example/actor"
MASTODON = "https://mastodon.example/users/anna"
WIDTH = 100


# --- normalising -------------------------------------------------------------------------------


def normalise(numbers: dict[str, str], document: Any, bare: bool = False) -> Any:
    """`document` with run-dependent values fixed; `bare` leaves out `@context` and `proof`
    (section 7 of the doc shows activities without them). `numbers` is shared by all examples,
    so the Follow an Accept embeds has the same id in both."""
    if bare and isinstance(document, dict):
        document = {k: v for k, v in document.items() if k not in ("@context", "proof")}

    def uuid_for(match: re.Match[str]) -> str:
        found = match.group(0)
        numbers.setdefault(found, f"00000000-0000-4000-8000-{len(numbers) + 1:012d}")
        return numbers[found]

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            if key in PLACEHOLDERS:
                return PLACEHOLDERS[key]
            if key in TIME_KEYS:
                return MOMENT
            if key in DAY_KEYS:
                return DAY
            return UUID_RE.sub(uuid_for, value)
        return value

    return walk(document)


def dumps(value: Any, indent: int = 0) -> str:
    """JSON as the doc writes it: a value on one line when it fits, else one member a line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 2)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{inner}{dumps(v, indent + 2)}" for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


# --- a kern with known data --------------------------------------------------------------------


def _outbox(db, kind: str, object_id: str) -> dict[str, Any]:
    found = db.one(
        """SELECT document FROM federation_outbox WHERE type = ? AND object_id = ?
           ORDER BY position DESC LIMIT 1""",
        (kind, object_id),
    )
    return json.loads(found["document"])


def _latest_object(db, object_id: str) -> dict[str, Any]:
    found = db.one(
        """SELECT document FROM federation_outbox WHERE object_id = ?
           AND type IN ('Create', 'Update') ORDER BY position DESC LIMIT 1""",
        (object_id,),
    )
    return json.loads(found["document"])["object"]


def _queued(db, inbox: str, kind: str) -> dict[str, Any]:
    found = db.one(
        """SELECT body FROM federation_deliveries
           WHERE inbox = ? AND json_extract(body, '$.type') = ? ORDER BY id DESC LIMIT 1""",
        (inbox, kind),
    )
    return json.loads(found["body"])


async def _served(app, path: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        response = await client.get(path, headers={"Accept": "application/activity+json"})
    response.raise_for_status()
    return response.json()


def generate() -> dict[str, Any]:
    """Every documented example, by the name the doc marks it with, normalised."""
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(make_data_dir(Path(folder) / "beesd", url=BASE))
        db = open_database(settings)
        try:
            return _examples(settings, db)
        finally:
            db.close()


def _examples(settings, db) -> dict[str, Any]:
    app = create_app(settings, db)
    identity = app.state.federation.publisher.identity
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    examples: dict[str, Callable[[], Any]] = {}
    numbers: dict[str, str] = {}  # random ids, numbered in order across all examples

    # A meeting published: its Create.
    _, meeting = add_meeting(
        db,
        settings,
        day=date(2026, 12, 15),
        title="Dorpsavond over de kernagenda",
        place_name="Dorpshuis De Kriek",
        place_address="Kerkstraat 12, 4153 AB Beesd",
    )
    meeting_id = settings.url(f"/bijeenkomsten/{meeting}")
    examples["create"] = lambda: normalise(numbers, _outbox(db, "Create", meeting_id), bare=True)

    # A thema changed: its Update with the whole thema.
    slug = add_thema(db, settings)
    thema = agenda.get_thema(db, slug)
    changed = {**THEMA, "priority": "hoog", "status": "loopt"}
    db.write(agenda.save_thema, settings, "test", changed, thema["id"])
    thema_id = settings.url(f"/agenda/themas/{slug}")
    examples["update"] = lambda: normalise(numbers, _outbox(db, "Update", thema_id), bare=True)

    # A project taken away: its Delete with a Tombstone.
    project, project_slug = add_project(db, settings, title="Jeu-de-boules-baan")
    db.write(projects.remove_project, settings, "test", project)
    project_id = settings.url(f"/projecten/{project_slug}")
    examples["delete"] = lambda: normalise(numbers, _outbox(db, "Delete", project_id), bare=True)

    # The gemeente follows the kern (node/gemeente/kernen.py calls the same function), and the
    # kern accepts: the Follow the gemeente sends and the Accept the kern sends back.
    gemeente = LocalIdentity(GEMEENTE, generate_key_pair(2048))
    beesd = RemoteActor.from_document(asyncio.run(_served(app, "/actor")))
    follow_id = db.write(follows.follow, gemeente, beesd, now)
    examples["follow"] = lambda: normalise(numbers, _queued(db, beesd.inbox, "Follow"), bare=True)

    def accept_gemeente(conn):
        inbox = GEMEENTE + "/inbox"
        followers.save_follower(conn, GEMEENTE, inbox, None, "pending", now, follow_id=follow_id)
        follows.approve(conn, identity, GEMEENTE, now)

    db.write(accept_gemeente)
    examples["accept"] = lambda: normalise(
        numbers, _queued(db, GEMEENTE + "/inbox", "Accept"), bare=True
    )

    # A Mastodon account's follow, refused in beheer: the Reject.
    def refuse_anna(conn):
        inbox = MASTODON + "/inbox"
        anna_follow = "https://mastodon.example/1f6c1e0a-9d4b-4c8e-a0f5-7f8b1e2d3c4b"
        followers.save_follower(conn, MASTODON, inbox, None, "pending", now, follow_id=anna_follow)
        follows.refuse(conn, identity, MASTODON, now)

    db.write(refuse_anna)
    examples["reject"] = lambda: normalise(
        numbers, _queued(db, MASTODON + "/inbox", "Reject"), bare=True
    )

    # The gemeente stops following the kern: its Undo of the Follow.
    db.write(follows.unfollow, gemeente, beesd.id, now)
    examples["undo"] = lambda: normalise(numbers, _queued(db, beesd.inbox, "Undo"), bare=True)

    # A bericht published: the Announce that shows it to Mastodon followers as a boost.
    news_slug = add_news(
        db,
        settings,
        title="De ijsbaan is open",
        body="Vanaf zaterdag is de ijsbaan aan de Molenweg open.",
    )
    news_id = settings.url(f"/nieuws/{news_slug}")
    examples["announce"] = lambda: normalise(numbers, _outbox(db, "Announce", news_id), bare=True)

    # A project under that thema, moved on twice (once on a meeting's decision): the object
    # as its latest activity carries it. The meeting, past, with its verslag and links.
    school, school_slug = add_project(
        db,
        settings,
        thema_slugs=[slug],
        description="Ouders maken zich zorgen over het oversteken bij de basisschool.",
        budget_granted=120000,
        budget_source="kernenbudget",
        target_date="2027-03-31",
    )
    march_id, march = add_meeting(
        db,
        settings,
        day=date(2026, 3, 2),
        title="Dorpsavond in maart",
        place_name="Dorpshuis De Kriek",
        place_address="Kerkstraat 12, 4153 AB Beesd",
        capacity=80,
        thema_ids=[thema["id"]],
        project_ids=[school],
    )
    minutes = "Besloten: het zebrapad gaat naar de verkenning."
    db.write(meetings.save_minutes, settings, "test", march_id, minutes)
    march_url = settings.url(f"/bijeenkomsten/{march}")
    examples["bijeenkomst"] = lambda: normalise(numbers, _latest_object(db, march_url))
    for phase, note, meeting in (
        ("verkenning", "Besproken op de dorpsavond.", march_id),
        ("uitvoering", "De gemeente legt het zebrapad aan.", None),
    ):
        db.write(projects.change_phase, settings, "test", school, phase, note, None, meeting)
    # The school is aan zet on the project: a Partner, and the project naming it.
    klimop = {
        "name": "Basisschool De Klimop",
        "kind": "school",
        "description": "De basisschool aan de Kerkstraat.",
        "website": "https://klimop.example/",
        "contact": "info@klimop.example",
    }
    klimop_slug = db.write(partners.save_partner, settings, "test", klimop)
    klimop_row = db.one("SELECT id FROM partners WHERE slug = ?", (klimop_slug,))
    db.write(partners.set_links, "project", school, {klimop_row["id"]: "aan_zet"})
    db.write(projects.republish_project, settings, "test", school)
    partner_id = settings.url(f"/partners/{klimop_slug}")
    examples["partner"] = lambda: normalise(numbers, _latest_object(db, partner_id))
    school_id = settings.url(f"/projecten/{school_slug}")
    examples["project"] = lambda: normalise(numbers, _latest_object(db, school_id))

    # The actor document, as served.
    actor = asyncio.run(_served(app, "/actor"))
    examples["actor"] = lambda: normalise(numbers, actor)
    return {name: build() for name, build in examples.items()}


# --- the doc -----------------------------------------------------------------------------------


def marked_blocks(text: str) -> dict[str, Any]:
    """The marked example blocks of the doc, parsed, by name."""
    return {m.group(2): json.loads(m.group(3)) for m in MARK_RE.finditer(text)}


def rewrite(text: str, examples: dict[str, Any]) -> str:
    """The doc with every marked block replaced by its generated example."""

    def block(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in examples:
            raise KeyError(f"the doc marks an example the generator does not make: {name}")
        return match.group(1) + dumps(examples[name]) + "\n" + match.group(4)

    return MARK_RE.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the marked blocks")
    args = parser.parse_args(argv)
    text = DOC.read_text()
    examples = generate()
    if args.write:
        DOC.write_text(rewrite(text, examples))
        return 0
    differ = [name for name, block in marked_blocks(text).items() if examples.get(name) != block]
    for name in differ:
        print(f"docs/FEDERATION.md: the example {name!r} differs from what the code sends")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
