"""The kernen the gemeente follows: adding one by its address, and how each one stands.

Adding (phased expansion): staff give an address, `@beesd@beesd.example` or a URL. WebFinger
leads to the actor; it must be a Bloei kern (a `Group` whose document uses Bloei's JSON-LD
terms) with an outbox on its own origin; then the gemeente sends a Follow. Each step that
fails gives one Dutch sentence staff can act on (`AddressError`).

A kern's state is derived, never stored twice:

* gevraagd     the Follow is sent, the kern has not answered yet;
* actief       the kern accepted: it pushes every change, and the gemeente pulls what it missed;
* geweigerd    the kern refused (a Reject);
* onbereikbaar pulls keep failing, or the Follow could not be delivered at all;
* gestopt      staff stopped following the kern (node/gemeente/stopping.py); adding its
               address again resumes the same kern record.

The follow itself lives in `federation_following`; this module keeps what only the gemeente
needs beside it: the roll-out phase (pilot, uitrol), contact times, positions and failures.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation import followers, follows
from federation.actors import ActorError, RemoteActor, parse_acct
from federation.fetch import Fetcher, FetchError
from federation.identity import LocalIdentity
from federation.keycache import KeyCache
from federation.store import row, rows, timestamp
from federation.vocabulary import BLOEI_NS, types_of
from node.gemeente import rekey
from node.web.audit import record_audit
from node.web.auth import User
from node.web.i18n import _, ngettext

ROLLOUT_PHASES = ("pilot", "uitrol")
# Consecutive failed pulls after which a kern shows as onbereikbaar.
UNREACHABLE_AFTER = 3

KERN_SQL = """
    SELECT k.*, f.state AS follow_state, f.follow_id,
           (SELECT d.status FROM federation_deliveries d WHERE d.activity_id = f.follow_id
            ORDER BY d.id DESC LIMIT 1) AS follow_delivery,
           (SELECT d.last_error FROM federation_deliveries d WHERE d.activity_id = f.follow_id
            ORDER BY d.id DESC LIMIT 1) AS follow_error
    FROM gemeente_kernen k LEFT JOIN federation_following f ON f.actor_id = k.actor_id
"""


class AddressError(Exception):
    """An address that does not lead to a Bloei kern; the message is for staff, in Dutch."""


@dataclass(frozen=True)
class Kern:
    """A kern as ingest needs it."""

    id: int
    actor_id: str
    name: str


# --- reading -----------------------------------------------------------------------------------


def state_of(kern: Mapping[str, Any]) -> str:
    """gevraagd, actief, geweigerd, onbereikbaar or gestopt (see the module's docstring)."""
    if kern["stopped_at"]:
        return "gestopt"
    follow_state = kern["follow_state"]
    if follow_state == "rejected" or follow_state is None:
        return "geweigerd"
    if follow_state == "pending":
        return "onbereikbaar" if kern["follow_delivery"] == "failed" else "gevraagd"
    if kern["failures"] >= UNREACHABLE_AFTER:
        return "onbereikbaar"
    return "actief"


def list_kernen(conn: sqlite3.Connection, *, stopped: bool = True) -> list[dict[str, Any]]:
    """Every kern with its state, in name order; without the stopped ones if `stopped` is
    False (lists to pick a kern from: a stopped kern has no data here to show)."""
    where = "" if stopped else " WHERE k.stopped_at IS NULL"
    found = rows(conn, KERN_SQL + where + " ORDER BY k.name COLLATE NOCASE, k.id")
    return [_with_state(r) for r in found]


# What a kern's state and its place on the map need, for every kern at once: the overview's
# totals, map and pages. Its follow's last delivery is only read while the follow waits.
SUMMARY_SQL = """
    SELECT k.id, k.name, k.rollout, k.place, k.stopped_at, k.failures,
           f.state AS follow_state,
           CASE WHEN f.state = 'pending' THEN
               (SELECT d.status FROM federation_deliveries d WHERE d.activity_id = f.follow_id
                ORDER BY d.id DESC LIMIT 1) END AS follow_delivery
    FROM gemeente_kernen k LEFT JOIN federation_following f ON f.actor_id = k.actor_id
    ORDER BY k.name COLLATE NOCASE, k.id
"""


def summaries(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every kern in name order with id, name, rollout, place and state: what `list_kernen`
    gives without the rest of each record, which at 2,600 kernen cost the overview 20 ms."""
    found = []
    for kern_id, name, rollout, place, stopped_at, failures, follow, delivery in conn.execute(
        SUMMARY_SQL
    ):
        kern = {"id": kern_id, "name": name, "rollout": rollout, "place": place,
                "stopped_at": stopped_at, "failures": failures, "follow_state": follow,
                "follow_delivery": delivery}  # fmt: skip
        kern["state"] = state_of(kern)
        found.append(kern)
    return found


def by_ids(conn: sqlite3.Connection, kern_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The full records (as `list_kernen` has them) of these kernen, in the order given."""
    if not kern_ids:
        return []
    marks = ", ".join("?" for _ in kern_ids)
    found = {
        r["id"]: _with_state(r) for r in rows(conn, f"{KERN_SQL} WHERE k.id IN ({marks})", kern_ids)
    }
    return [found[kern_id] for kern_id in kern_ids if kern_id in found]


def choices(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The kernen a filter offers (id and name, not the stopped ones), in name order: what
    `list_kernen(stopped=False)` lists, without each kern's state, whose follow subqueries
    cost tens of milliseconds at a few thousand kernen on every projects or calendar page."""
    found = rows(
        conn,
        "SELECT id, name FROM gemeente_kernen WHERE stopped_at IS NULL"
        " ORDER BY name COLLATE NOCASE, id",
    )
    return [dict(r) for r in found]


def get(conn: sqlite3.Connection, kern_id: int) -> dict[str, Any] | None:
    found = row(conn, KERN_SQL + " WHERE k.id = ?", (kern_id,))
    return _with_state(found) if found else None


def by_actor(conn: sqlite3.Connection, actor_id: str) -> dict[str, Any] | None:
    found = row(conn, KERN_SQL + " WHERE k.actor_id = ?", (actor_id,))
    return _with_state(found) if found else None


def _with_state(found: sqlite3.Row) -> dict[str, Any]:
    kern = dict(found)
    kern["state"] = state_of(kern)
    kern["lag"] = max(0, kern["outbox_position"] - kern["position"])
    # The lag is what the last pull that worked saw; after a failed pull it is not known.
    kern["lag_known"] = not kern["failing_since"]
    return kern


def as_kern(kern: Mapping[str, Any]) -> Kern:
    return Kern(kern["id"], kern["actor_id"], kern["name"])


def may_send(kern: Mapping[str, Any] | None) -> bool:
    """Whether the gemeente takes content from this kern: it follows it (asked or accepted;
    a kern's first posts may overtake its Accept), the kern did not refuse, and staff did not
    stop following it."""
    return (
        kern is not None
        and not kern["stopped_at"]
        and kern["follow_state"] in ("pending", "accepted")
    )


def is_followed(kern: Mapping[str, Any]) -> bool:
    """Accepted (and not stopped): the kern's outbox is pulled on the schedule."""
    return not kern["stopped_at"] and kern["follow_state"] == "accepted"


# --- finding a kern by its address -------------------------------------------------------------


async def discover(
    text: str, fetcher: Fetcher, keys: KeyCache, now: datetime, *, dev: bool = False
) -> tuple[RemoteActor, dict[str, Any]]:
    """The actor behind an address and its document; AddressError with a Dutch message."""
    text = text.strip()
    try:
        if text.startswith(("https://", "http://")):
            final_url, document = await fetcher.get_json(text)
            # A kern's home page answers with its actor when asked for ActivityStreams.
            actor = RemoteActor.from_document(document, fetched_from=final_url)
            actor = await keys.fetch_actor(actor.id, now)
        else:
            try:
                parse_acct(text)
            except ValueError:
                raise AddressError(
                    _("Vul een adres in zoals @beesd@beesd.nl, of het webadres van de kern.")
                ) from None
            actor = await keys.discover(text, now, scheme="http" if dev else "https")
    except ActorError:
        raise AddressError(
            _("Op dit adres staat geen kern die de gemeente kan volgen. Controleer het adres.")
        ) from None
    except FetchError as error:
        raise AddressError(_fetch_message(error)) from None
    document = _stored_document(keys, actor.id)
    return actor, document


def _stored_document(keys: KeyCache, actor_id: str) -> dict[str, Any]:
    found = row(
        keys.db.read(),
        "SELECT document FROM federation_remote_actors WHERE actor_id = ?",
        (actor_id,),
    )
    return json.loads(found["document"]) if found else {}


def _fetch_message(error: FetchError) -> str:
    if error.reason == "refused":
        return _("De gemeente mag dit adres niet bereiken: alleen https-adressen op internet.")
    if error.reason == "network":
        return _(
            "Dit adres bestaat niet of de server reageert niet. Controleer het adres, "
            "of probeer het later opnieuw."
        )
    if error.reason == "status" and error.status in (404, 410):
        return _("Op dit adres is geen kern gevonden. Controleer het adres.")
    return _("Op dit adres staat geen kern die de gemeente kan volgen. Controleer het adres.")


def check_bloei_kern(actor: RemoteActor, document: Mapping[str, Any], own_actor_id: str) -> None:
    """AddressError unless the actor is a Bloei kern the gemeente can follow and pull."""
    if actor.id == own_actor_id:
        raise AddressError(_("Dit is het adres van de gemeente zelf."))
    if "Group" not in types_of(document):
        raise AddressError(
            _(
                "Op dit adres staat wel een account, maar geen kern. "
                "De gemeente kan alleen kernen volgen die Bloei gebruiken."
            )
        )
    if not _uses_bloei_terms(document.get("@context")):
        raise AddressError(
            _(
                "Op dit adres staat een groep, maar geen kern met Bloei. "
                "De gemeente kan alleen kernen volgen die Bloei gebruiken."
            )
        )
    if not actor.outbox or _origin(actor.outbox) != _origin(actor.id):
        raise AddressError(
            _(
                "Deze kern heeft geen openbare lijst van wijzigingen. De gemeente kan haar niet volgen."
            )
        )


def _uses_bloei_terms(context: Any) -> bool:
    entries = context if isinstance(context, list) else [context]
    for entry in entries:
        if entry == BLOEI_NS:
            return True
        if isinstance(entry, Mapping) and BLOEI_NS in entry.values():
            return True
    return False


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


# --- adding and changing -----------------------------------------------------------------------


def add(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    actor: RemoteActor,
    address: str,
    rollout: str,
    who: User | str,
    now: datetime,
) -> int:
    """Record the kern (or refresh it, when it was added before) and send the Follow.

    A kern staff stopped following is resumed: the same record (so the gemeente's reacties and
    the kern's moves stay with it), no longer stopped; its positions were reset by the stop,
    so the first pull after the kern accepts reads its outbox from the start."""
    if rollout not in ROLLOUT_PHASES:
        raise ValueError(f"roll-out phase is pilot or uitrol, not {rollout!r}")
    name = actor.name or actor.preferred_username or actor.id
    kern_id = conn.execute(
        """INSERT INTO gemeente_kernen
               (actor_id, address, name, username, url, inbox, outbox, rollout, added_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (actor_id) DO UPDATE SET address = excluded.address,
               name = excluded.name, username = excluded.username, inbox = excluded.inbox,
               outbox = excluded.outbox, rollout = excluded.rollout, settled_at = NULL,
               failures = 0, last_error = '', last_error_at = NULL, failing_since = NULL,
               stopped_at = NULL
           RETURNING id""",
        (
            actor.id,
            address[:300],
            name[:200],
            actor.preferred_username[:100],
            _home_page(actor),
            actor.inbox,
            actor.outbox or "",
            rollout,
            timestamp(now),
        ),
    ).fetchone()[0]
    follows.follow(conn, identity, actor, now)
    record_audit(conn, who, "kern.volgen", "Kern", actor.id, f"{name} ({rollout})")
    return int(kern_id)


def move(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    kern: Mapping[str, Any],
    new_actor: RemoteActor,
    activity_id: str,
    now: datetime,
) -> None:
    """A kern moved (a verified Move, confirmed by the new actor's alsoKnownAs): the same kern
    record now points at the new actor, the old follow is dropped and a Follow goes to the
    new one. The kern's objects stay with the same kern and move to their ids under the new
    actor's base (`rekey`), where the moved node publishes them now; when the two actors do
    not share the actor path, the ids stay as they are. The outbox positions stay, since the
    new node serves the same outbox."""
    old_actor = kern["actor_id"]
    conn.execute(
        """UPDATE gemeente_kernen SET actor_id = ?, address = ?, username = ?, url = ?,
               inbox = ?, outbox = ?, settled_at = NULL, failures = 0, last_error = '',
               last_error_at = NULL, failing_since = NULL, next_pull_at = NULL
           WHERE id = ?""",
        (
            new_actor.id,
            new_actor.id[:300],
            (new_actor.preferred_username or kern["username"])[:100],
            _home_page(new_actor),
            new_actor.inbox,
            new_actor.outbox or "",
            kern["id"],
        ),
    )
    conn.execute(
        """INSERT INTO gemeente_kern_moves
               (kern_id, old_actor_id, new_actor_id, activity_id, moved_at)
           VALUES (?, ?, ?, ?, ?)""",
        (kern["id"], old_actor, new_actor.id, activity_id[:1000], timestamp(now)),
    )
    followers.remove_following(conn, old_actor)
    follows.follow(conn, identity, new_actor, now)
    moved = rekey.rekey_kern(conn, kern["id"], old_actor, new_actor.id, now)
    summary = ngettext("%(actor)s (%(num)s object)", "%(actor)s (%(num)s objecten)", moved)
    record_audit(
        conn,
        "federation",
        "kern.verhuisd",
        "Kern",
        new_actor.id,
        summary % {"actor": old_actor, "num": moved},
    )


def moves_of(conn: sqlite3.Connection, kern_id: int) -> list[dict[str, Any]]:
    found = rows(
        conn, "SELECT * FROM gemeente_kern_moves WHERE kern_id = ? ORDER BY id", (kern_id,)
    )
    return [dict(r) for r in found]


def _home_page(actor: RemoteActor) -> str:
    parts = urlsplit(actor.id)
    return f"{parts.scheme}://{parts.netloc}/"


def set_rollout(conn: sqlite3.Connection, kern_id: int, rollout: str, who: User | str) -> bool:
    if rollout not in ROLLOUT_PHASES:
        raise ValueError(f"roll-out phase is pilot or uitrol, not {rollout!r}")
    cursor = conn.execute("UPDATE gemeente_kernen SET rollout = ? WHERE id = ?", (rollout, kern_id))
    if cursor.rowcount:
        record_audit(conn, who, "kern.fase", "Kern", kern_id, rollout)
    return cursor.rowcount > 0


def on_settled(conn: sqlite3.Connection, actor_id: str, now: datetime) -> None:
    """After an Accept or Reject of our Follow: note when, and pull an accepted kern at once."""
    conn.execute(
        """UPDATE gemeente_kernen SET settled_at = ?, last_contact_at = ?, next_pull_at = NULL
           WHERE actor_id = ?""",
        (timestamp(now), timestamp(now), actor_id),
    )


def request_pull(conn: sqlite3.Connection, kern_id: int) -> None:
    conn.execute("UPDATE gemeente_kernen SET next_pull_at = NULL WHERE id = ?", (kern_id,))


def due_for_pull(conn: sqlite3.Connection, now: datetime) -> list[int]:
    """Accepted kernen whose next pull is due (or asked for); never a stopped one."""
    found = conn.execute(
        """SELECT k.id FROM gemeente_kernen k
           JOIN federation_following f ON f.actor_id = k.actor_id AND f.state = 'accepted'
           WHERE k.stopped_at IS NULL AND (k.next_pull_at IS NULL OR k.next_pull_at <= ?)
           ORDER BY k.next_pull_at IS NOT NULL, k.next_pull_at, k.id""",
        (timestamp(now),),
    ).fetchall()
    return [r[0] for r in found]


def note_contact(conn: sqlite3.Connection, kern_id: int, now: datetime) -> None:
    """The kern answered (a push arrived, or a pull worked)."""
    conn.execute(
        "UPDATE gemeente_kernen SET last_contact_at = ? WHERE id = ?", (timestamp(now), kern_id)
    )


def note_refused(
    conn: sqlite3.Connection, kern_id: int, activity_id: str, reason: str, via: str, now: datetime
) -> None:
    """Keep a refused activity for staff: what, why, how it came."""
    conn.execute(
        """INSERT INTO gemeente_refused (kern_id, activity_id, reason, via, at)
           VALUES (?, ?, ?, ?, ?)""",
        (kern_id, activity_id[:1000], reason[:300], via, timestamp(now)),
    )
    conn.execute("UPDATE gemeente_kernen SET refused = refused + 1 WHERE id = ?", (kern_id,))


def note_outbox_went_back(
    conn: sqlite3.Connection, kern: Mapping[str, Any], read: int, newest: int, now: datetime
) -> None:
    """The kern's outbox ends at `newest`, below the position `read` the gemeente had read up
    to: the kern went back (it restored an older backup) and may hand out those positions
    again. Read its outbox again from the start (ingest skips what the gemeente has), and tell
    staff on the kern's page and in the audit log."""
    followers.restart_position(conn, kern["actor_id"])
    conn.execute(
        """UPDATE gemeente_kernen SET position = 0, outbox_position = ?, went_back_at = ?,
               went_back_from = ?, went_back_to = ?
           WHERE id = ?""",
        (newest, timestamp(now), read, newest, kern["id"]),
    )
    summary = _("%(name)s: lijst met wijzigingen ging terug van %(read)s naar %(newest)s")
    record_audit(
        conn,
        "federation",
        "kern.opnieuw_gelezen",
        "Kern",
        kern["actor_id"],
        summary % {"name": kern["name"], "read": read, "newest": newest},
    )


def recent_refusals(conn: sqlite3.Connection, kern_id: int, limit: int = 10) -> list[dict]:
    found = rows(
        conn,
        "SELECT * FROM gemeente_refused WHERE kern_id = ? ORDER BY id DESC LIMIT ?",
        (kern_id, limit),
    )
    return [dict(r) for r in found]
