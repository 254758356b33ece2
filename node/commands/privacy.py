"""`bloei privacy`: one person's data on a kern, shown, exported or erased from the command
line, as beheer's Privacy page does it, for a request that reaches the host.

The person is found by e-mail address, phone number or name (node/kern/privacy/model.py). Erasing
also takes a trekker's name out of what the kern published (node/kern/federation/erasure.py). The audit
log gets counts only; the search term is never written anywhere.
"""

from __future__ import annotations

import argparse
import json
import sqlite3

from node.commands.common import AUDIT_WHO, Command, CommandError, add_data_option, open_node
from node.db import Database
from node.kern.privacy import model as privacy
from node.settings import Settings
from node.web.audit import record_audit

MAX_QUERY = 200


def configure_privacy(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, command in PRIVACY_COMMANDS.items():
        sub = actions.add_parser(name, help=command.help, description=command.help)
        command.configure(sub)
        add_data_option(sub)
        sub.set_defaults(run=command.run)


def _person_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", help="e-mail address, phone number or name, exactly")


def _query(args: argparse.Namespace) -> str:
    query = " ".join(args.person.split())
    if not query:
        raise CommandError("give an e-mail address, phone number or name")
    if len(query) > MAX_QUERY:
        raise CommandError(f"the person to look for is longer than {MAX_QUERY} characters")
    return query


def _found(db: Database, query: str, action: str) -> privacy.PersonData:
    def find(conn: sqlite3.Connection) -> privacy.PersonData:
        found = privacy.find_person(conn, query)
        record_audit(conn, AUDIT_WHO, action, "Persoon", "", found.summary())
        return found

    return db.write(find)


def _kern_only(settings: Settings) -> None:
    if settings.role != "kern":
        raise CommandError(f"a {settings.role} node holds no residents' data to look up")


def run_privacy_show(args: argparse.Namespace) -> int:
    query = _query(args)
    with open_node(args) as (settings, db):
        _kern_only(settings)
        found = _found(db, query, "privacy.search")
    for row in found.rsvps:
        print(f"aanmelding: {row['meeting']} ({row['meeting_starts_at'][:10]}): {row['name']}")
    for row in found.volunteers:
        print(f"vrijwilliger: {row['project']}: {row['name']}")
    for row in found.ideas:
        print(f"idee: {row['title']}: {row['name']}")
    for row in found.mails:
        print(f"mail: {row['subject']} (aan {row['to_address']})")
    for row in found.trekkers:
        shown = "op de site" if row["shown"] else "niet op de site"
        print(f"trekker: {row['project']}: {row['name']} ({shown})")
    for row in found.subscriptions:
        what = f"project {row['project_title']}" if row["topic"] == "project" else row["topic"]
        print(f"volgt per e-mail: {what} ({row['frequency']})")
    print(f"{found.total} found")
    return 0


def run_privacy_export(args: argparse.Namespace) -> int:
    query = _query(args)
    with open_node(args) as (settings, db):
        _kern_only(settings)
        found = _found(db, query, "privacy.export")
        document = privacy.export_person(found, settings)
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


def run_privacy_erase(args: argparse.Namespace) -> int:
    query = _query(args)
    with open_node(args) as (settings, db):
        _kern_only(settings)

        def erase(conn: sqlite3.Connection) -> privacy.PersonData:
            removed = privacy.delete_person(conn, query, settings=settings, who=AUDIT_WHO)
            record_audit(conn, AUDIT_WHO, "privacy.delete", "Persoon", "", removed.summary())
            return removed

        removed = db.write(erase)
    # Counts only: this output may end up in a log.
    print(f"Erased {removed.total} items: {removed.summary()}")
    return 0


PRIVACY_COMMANDS: dict[str, Command] = {
    "show": Command(
        "show what the kern holds about one person", _person_argument, run_privacy_show
    ),
    "export": Command(
        "print what the kern holds about one person as JSON", _person_argument, run_privacy_export
    ),
    "erase": Command(
        "erase one person's data, also from what the kern published",
        _person_argument,
        run_privacy_erase,
    ),
}
