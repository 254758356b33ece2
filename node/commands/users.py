"""`bloei user`: add, list, disable and enable accounts, reset a password or two-step sign-in,
each action an entry in USER_COMMANDS.
"""

from __future__ import annotations

import argparse
import sqlite3

from node.commands.common import (
    AUDIT_WHO,
    Command,
    CommandError,
    add_data_option,
    checked_username,
    login_url,
    open_node,
)
from node.email_address import is_email_address
from node.web import two_step
from node.web.audit import record_audit
from node.web.auth import ROLES as USER_ROLES
from node.web.auth import create_user, generate_password, set_password
from node.web.login_sessions import end_all as end_all_sessions


def configure_user(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, command in USER_COMMANDS.items():
        sub = actions.add_parser(name, help=command.help, description=command.help)
        command.configure(sub)
        add_data_option(sub)
        sub.set_defaults(run=command.run)


def _username_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username")


def configure_user_add(parser: argparse.ArgumentParser) -> None:
    _username_argument(parser)
    parser.add_argument("--role", required=True, choices=(*USER_ROLES, "medewerker"))
    parser.add_argument("--name", help="display name (default: the user name)")
    parser.add_argument("--email", default="")


def _find_user(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise CommandError(f"no user named {username!r}")
    return row


# The roles of accounts on each kind of node: a gemeente has medewerkers, not redacteuren.
NODE_USER_ROLES = {"kern": USER_ROLES, "gemeente": ("beheerder", "medewerker")}


def run_user_add(args: argparse.Namespace) -> int:
    username = checked_username(args.username)
    if args.email and not is_email_address(args.email):
        raise CommandError(f"--email {args.email!r} is not one valid e-mail address")
    if len((args.name or "").splitlines()) > 1:
        raise CommandError("--name must be one line")
    password = generate_password()

    def add(conn: sqlite3.Connection) -> None:
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise CommandError(f"user {username!r} already exists")
        user_id = create_user(
            conn,
            username,
            args.name or username,
            args.role,
            password,
            args.email,
            must_change_password=True,
        )
        record_audit(conn, AUDIT_WHO, "user.create", "user", user_id, f"{username} ({args.role})")

    with open_node(args) as (settings, db):
        allowed = NODE_USER_ROLES.get(settings.role, USER_ROLES)
        if args.role not in allowed:
            raise CommandError(
                f"a {settings.role} node has no role {args.role}: use {' or '.join(allowed)}"
            )
        db.write(add)
    print(f"Added {args.role} {username}")
    print(f"One-time password: {password}  (shown once; change it at first login)")
    print(f"Log in at: {login_url(settings)}")
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    with open_node(args) as (_, db):
        rows = db.execute(
            "SELECT username, display_name, role, disabled, last_login_at FROM users"
            " ORDER BY username"
        )
    if not rows:
        print("No users.")
        return 0
    table = [("USERNAME", "NAME", "ROLE", "STATUS", "LAST LOGIN")]
    for row in rows:
        last = (row["last_login_at"] or "never").replace("T", " ")[:16]
        status = "disabled" if row["disabled"] else "active"
        table.append((row["username"], row["display_name"], row["role"], status, last))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    return 0


def run_user_disable(args: argparse.Namespace) -> int:
    def disable(conn: sqlite3.Connection) -> bool:
        user = _find_user(conn, args.username)
        if user["disabled"]:
            return False
        if user["role"] == "beheerder":
            # Counted inside the write transaction, so two hosts cannot each disable "the other".
            active = conn.execute(
                "SELECT count(*) FROM users WHERE role = 'beheerder' AND disabled = 0"
            ).fetchone()[0]
            if active <= 1:
                raise CommandError(
                    f"{user['username']} is the last active beheerder; add or enable another first"
                )
        # Their sessions end too: otherwise enabling the user later would revive them.
        conn.execute("UPDATE users SET disabled = 1 WHERE id = ?", (user["id"],))
        end_all_sessions(conn, user["id"])
        record_audit(conn, AUDIT_WHO, "user.disable", "user", user["id"], user["username"])
        return True

    with open_node(args) as (_, db):
        changed = db.write(disable)
    print(f"Disabled {args.username}" if changed else f"{args.username} was already disabled")
    return 0


def run_user_enable(args: argparse.Namespace) -> int:
    def enable(conn: sqlite3.Connection) -> bool:
        user = _find_user(conn, args.username)
        if not user["disabled"]:
            return False
        conn.execute("UPDATE users SET disabled = 0 WHERE id = ?", (user["id"],))
        record_audit(conn, AUDIT_WHO, "user.enable", "user", user["id"], user["username"])
        return True

    with open_node(args) as (_, db):
        changed = db.write(enable)
    print(f"Enabled {args.username}" if changed else f"{args.username} was already active")
    return 0


def run_user_reset_password(args: argparse.Namespace) -> int:
    password = generate_password()

    def reset(conn: sqlite3.Connection) -> None:
        user = _find_user(conn, args.username)
        # set_password ends every session of this user.
        set_password(conn, user["id"], password, must_change=True)
        record_audit(conn, AUDIT_WHO, "user.reset_password", "user", user["id"], user["username"])

    with open_node(args) as (settings, db):
        db.write(reset)
    print(f"New one-time password for {args.username}: {password}")
    print(f"They choose their own at next login: {login_url(settings)}")
    return 0


def run_user_reset_two_step(args: argparse.Namespace) -> int:
    """For someone who lost their phone and their recovery codes: sign in with the password
    alone, then set up two-step sign-in again from the account page."""

    def reset(conn: sqlite3.Connection) -> bool:
        user = _find_user(conn, args.username)
        if not two_step.turn_off(conn, user["id"]):
            return False
        record_audit(conn, AUDIT_WHO, "user.two_step_reset", "user", user["id"], user["username"])
        return True

    with open_node(args) as (_, db):
        changed = db.write(reset)
    if not changed:
        print(f"{args.username} had no two-step sign-in; nothing changed")
        return 0
    print(f"Two-step sign-in is off for {args.username}; they sign in with their password")
    print("and can set it up again on their account page.")
    return 0


USER_COMMANDS: dict[str, Command] = {
    "add": Command("add a user with a one-time password", configure_user_add, run_user_add),
    "list": Command("list users", lambda parser: None, run_user_list),
    "disable": Command(
        "disable a user and end their sessions", _username_argument, run_user_disable
    ),
    "enable": Command("enable a disabled user", _username_argument, run_user_enable),
    "reset-password": Command(
        "give a user a new one-time password", _username_argument, run_user_reset_password
    ),
    "reset-two-step": Command(
        "switch off two-step sign-in for a user who lost their phone",
        _username_argument,
        run_user_reset_two_step,
    ),
}
