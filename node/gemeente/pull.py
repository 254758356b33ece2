"""Catching up with a kern's outbox: from the last known position, page by page, in order.

Push gives speed; pull makes sure nothing is missed (a kern that was down, deliveries that were
lost). For one kern:

1. read the outbox collection, for the newest position (how far behind the gemeente is);
2. ask `?after=<position>&size=100`, check every item's integrity proof with the kern's key
   (fetching the kern's actor once when a proof fails, in case it rotated its keys), and apply
   the page in one transaction with the new position, so a crash never leaves the position
   ahead of what was applied (nor behind: ingest skips what it has seen);
3. go on while the page says there is more, up to `max_pages` a run (the next run continues);
4. a `Move` among the items (its proof checked like any other) is taken as if it had been
   pushed (node/gemeente/moves.py): the push may never have come.

Positions only grow (docs/FEDERATION.md, section 10), so an outbox whose `lastPosition` is
below the position already read went back: the kern restored an older backup, say. Positions
the gemeente read past may then hold new activities, so it reads the whole outbox again from
the start (ingest skips what it has, by activity id) and tells staff (a notice on the kern's
page, an audit line, a log line). Only `lastPosition` tells this: `totalItems` counts the
activities, and positions may have gaps, so fewer items than the position says nothing.

Memory stays bounded: one page at a time, each at most 1 MiB (`federation.fetch`). An item
whose proof fails, or that may not be applied, is refused and kept for staff; the rest of the
page goes on. A page that cannot be read stops the run with a clear message, and the position
stays where it was.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from federation import followers
from federation.actors import ActorError
from federation.fetch import Fetcher, FetchError
from federation.identity import LocalIdentity
from federation.keycache import KeyCache
from federation.moves import MoveRefused, target_of
from federation.proofs import ProofError
from federation.store import Store, timestamp
from federation.vocabulary import types_of
from node.gemeente import ingest, kernen, moves, proofcheck, readmodel
from node.web.i18n import _ as translate
from node.web.i18n import lazy as _

PAGE_SIZE = 100
MAX_PAGES = 200
log = logging.getLogger("bloei.gemeente.pull")


class Malformed(Exception):
    """An outbox document that does not follow docs/FEDERATION.md section 10."""


class NoLongerFollowed(Exception):
    """Staff stopped following the kern while this pull ran (node/gemeente/stopping.py)."""


@dataclass
class PullReport:
    """What one pull of one kern did; `error` is a Dutch sentence when it stopped early."""

    kern_id: int
    applied: int = 0
    skipped: int = 0
    refused: int = 0
    pages: int = 0
    position: int = 0
    outbox_position: int = 0
    complete: bool = False
    reason: str = ""
    error: str = ""
    moves: list[dict[str, Any]] = field(default_factory=list)  # verified Moves found
    moved_to: str = ""  # the new actor, when one of them was taken
    went_back_from: int | None = None  # the position read, when the outbox went back below it

    @property
    def ok(self) -> bool:
        return not self.error


MESSAGES = {
    "network": _("De kern reageert niet. De gemeente probeert het later opnieuw."),
    "status": _("De kern gaf een foutmelding. De gemeente probeert het later opnieuw."),
    "too_large": _("Een pagina met wijzigingen van de kern was te groot (meer dan 1 MiB)."),
    "not_json": _("De kern stuurde iets anders dan een lijst met wijzigingen."),
    "malformed": _("De kern stuurde een pagina met wijzigingen die niet klopt."),
    "refused": _("De gemeente mag het adres van deze kern niet bereiken."),
    "redirects": _("De kern stuurt de gemeente te vaak door naar een ander adres."),
    "outbox": _("De lijst met wijzigingen staat niet op het adres van de kern."),
    "not_followed": _("De gemeente volgt deze kern (nog) niet."),
    "internal": _(
        "Er ging iets mis bij het ophalen. De beheerder kan in het logboek van de server zien wat."
    ),
}


def message(reason: str) -> str:
    return translate(MESSAGES.get(reason, MESSAGES["malformed"]))


async def pull(
    store: Store,
    fetcher: Fetcher,
    keys: KeyCache,
    kern_id: int,
    now: datetime,
    *,
    interval: timedelta = timedelta(minutes=15),
    max_pages: int = MAX_PAGES,
    identity: LocalIdentity | None = None,
) -> PullReport:
    """Catch up with one kern; never raises for what the kern sends (see PullReport.error).
    With the gemeente's `identity`, a Move found on the way is taken (it sends a Follow)."""
    report = PullReport(kern_id)
    kern = kernen.get(store.read(), kern_id)
    if kern is None or not kernen.is_followed(kern):
        report.reason, report.error = "not_followed", message("not_followed")
        return report
    report.position = kern["position"]
    try:
        await _catch_up(store, fetcher, keys, kern, now, report, max_pages)
    except NoLongerFollowed:
        # The stop forgot the kern's data and reset its positions: keep nothing of this run.
        report.reason, report.error = "not_followed", message("not_followed")
        return report
    except FetchError as error:
        report.reason = error.reason
    except Malformed:
        report.reason = "malformed"
    except Exception:
        # A bug, not the kern's fault: keep it in the log, and keep the kern's state honest.
        log.exception("pulling kern %s failed", kern_id)
        report.reason = "internal"
    if report.reason:
        report.error = message(report.reason)
    store.write(_finish, kern_id, report, now, interval)
    if identity is not None:
        for move in report.moves:
            await _take_move(store, keys, identity, kern, move, now, report)
    return report


async def _take_move(
    store: Store,
    keys: KeyCache,
    identity: LocalIdentity,
    kern: dict[str, Any],
    move: dict[str, Any],
    now: datetime,
    report: PullReport,
) -> None:
    """Take a Move found in the outbox; a refusal worth a look is noted for staff."""
    target = target_of(move)
    if target:
        # As for a pushed Move: the target must confirm with its document as it is now.
        # Unreachable: take() then refuses it as move_target_unknown.
        with contextlib.suppress(ActorError, FetchError):
            await keys.fetch_actor(target, now)
    try:
        store.write(moves.take, identity, kern["actor_id"], move, now)
    except MoveRefused as refusal:
        if refusal.reason != "not_a_followed_kern":  # taken already, by its push
            store.write(
                kernen.note_refused,
                kern["id"],
                str(move.get("id", "")),
                refusal.reason,
                "pull",
                now,
            )
        return
    report.moved_to = str(target)


async def _catch_up(
    store: Store,
    fetcher: Fetcher,
    keys: KeyCache,
    kern: dict[str, Any],
    now: datetime,
    report: PullReport,
    max_pages: int,
) -> None:
    outbox, actor_id = kern["outbox"], kern["actor_id"]
    if _origin(outbox) != _origin(actor_id):
        report.reason = "outbox"
        return
    _, collection = await fetcher.get_json(outbox)
    newest = collection.get("lastPosition") if isinstance(collection, dict) else None
    report.outbox_position = newest if _is_position(newest) else 0
    if _is_position(newest) and newest < report.position:
        log.warning(
            "the outbox of kern %s went back from position %s to %s: reading it all again",
            kern["id"],
            report.position,
            newest,
        )
        store.write(_start_again, kern, report.position, newest, now)
        report.went_back_from, report.position = report.position, 0
    refreshed = False
    for _page in range(max_pages):
        url = f"{outbox}?{urlencode({'after': report.position, 'size': PAGE_SIZE})}"
        _, document = await fetcher.get_json(url)
        items, last, more = read_page(document, report.position)
        checked = []
        for item in items:
            reason = _check(item, actor_id, keys)
            if reason in proofcheck.REFETCH_REASONS and not refreshed:
                # The kern may have rotated its keys (and signed its outbox again): look once.
                refreshed = True
                await _refresh_keys(keys, actor_id, now)
                reason = _check(item, actor_id, keys)
            checked.append((item, reason))
            if reason is None and "Move" in types_of(item):
                report.moves.append(item)
        applied, skipped, refused = store.write(
            _apply_page, kernen.as_kern(kern), checked, last, now
        )
        report.pages += 1
        report.applied += applied
        report.skipped += skipped
        report.refused += refused
        report.position = last
        if not more or not items:
            report.complete = True
            break
    report.outbox_position = max(report.outbox_position, report.position)


def read_page(document: Any, after: int) -> tuple[list[Any], int, bool]:
    """(items, lastPosition, whether more follow) of a catch-up page; Malformed otherwise."""
    if not isinstance(document, dict) or "OrderedCollectionPage" not in types_of(document):
        raise Malformed("not an OrderedCollectionPage")
    items = document.get("orderedItems")
    if not isinstance(items, list):
        raise Malformed("orderedItems is not a list")
    last = document.get("lastPosition")
    if not _is_position(last) or last < after:
        raise Malformed("lastPosition is missing or goes back")
    if items and last == after:
        raise Malformed("a page with items must move lastPosition on")
    return items, last, "next" in document


def _is_position(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62


def _check(item: Any, actor_id: str, keys: KeyCache) -> str | None:
    """None when the item's proof holds, else the reason it does not."""
    try:
        proofcheck.check(item, actor_id, keys)
    except ProofError as error:
        return error.reason
    return None


async def _refresh_keys(keys: KeyCache, actor_id: str, now: datetime) -> None:
    try:
        await keys.fetch_actor(actor_id, now)
    except (ActorError, FetchError):
        return


def _start_again(
    conn: sqlite3.Connection, kern: dict[str, Any], read: int, newest: int, now: datetime
) -> None:
    current = kernen.get(conn, kern["id"])
    if current is None or not kernen.is_followed(current):
        raise NoLongerFollowed(kern["id"])
    kernen.note_outbox_went_back(conn, current, read, newest, now)
    readmodel.touch(conn)


def _apply_page(
    conn: sqlite3.Connection,
    kern: kernen.Kern,
    checked: list[tuple[Any, str | None]],
    last: int,
    now: datetime,
) -> tuple[int, int, int]:
    """Apply a page's items in order, each in a savepoint, and move the position on."""
    current = kernen.get(conn, kern.id)
    if current is None or not kernen.is_followed(current):
        # Checked in this page's own transaction: a stop between the fetch and now must not
        # bring back the data it removed.
        raise NoLongerFollowed(kern.id)
    applied = skipped = refused = 0
    for item, proof_problem in checked:
        activity_id = item.get("id") if isinstance(item, dict) else None
        activity_id = activity_id if isinstance(activity_id, str) else ""
        if proof_problem is not None:
            kernen.note_refused(conn, kern.id, activity_id, "proof_" + proof_problem, "pull", now)
            refused += 1
            continue
        conn.execute("SAVEPOINT item")
        try:
            outcome = ingest.apply(conn, kern, item, via="pull", now=now)
        except ingest.Refused as refusal:
            conn.execute("ROLLBACK TO item")
            conn.execute("RELEASE item")
            kernen.note_refused(conn, kern.id, activity_id, refusal.reason, "pull", now)
            refused += 1
            continue
        conn.execute("RELEASE item")
        if outcome == ingest.APPLIED:
            applied += 1
        else:
            skipped += 1
    followers.set_last_position(conn, kern.actor_id, last)
    conn.execute(
        """UPDATE gemeente_kernen SET position = max(position, ?), last_contact_at = ?
           WHERE id = ?""",
        (last, timestamp(now), kern.id),
    )
    return applied, skipped, refused


def _finish(
    conn: sqlite3.Connection,
    kern_id: int,
    report: PullReport,
    now: datetime,
    interval: timedelta,
) -> None:
    stamp, next_pull = timestamp(now), timestamp(now + interval)
    before = conn.execute(
        "SELECT failures FROM gemeente_kernen WHERE id = ?", (kern_id,)
    ).fetchone()
    failures = before[0] if before else 0
    # The state shown on the pages turns (onbereikbaar, or back to actief): refresh them.
    if (report.ok and failures >= kernen.UNREACHABLE_AFTER) or (
        not report.ok and failures + 1 == kernen.UNREACHABLE_AFTER
    ):
        readmodel.touch(conn)
    if report.ok:
        conn.execute(
            """UPDATE gemeente_kernen SET last_pull_at = ?, next_pull_at = ?, failures = 0,
                   last_error = '', failing_since = NULL, last_contact_at = ?,
                   outbox_position = max(?, position)
               WHERE id = ?""",
            (stamp, next_pull, stamp, report.outbox_position, kern_id),
        )
        if not report.complete:
            # More waits: come back at once rather than after the interval.
            conn.execute("UPDATE gemeente_kernen SET next_pull_at = NULL WHERE id = ?", (kern_id,))
    else:
        conn.execute(
            """UPDATE gemeente_kernen SET last_pull_at = ?, next_pull_at = ?,
                   failures = failures + 1, last_error = ?, last_error_at = ?,
                   failing_since = coalesce(failing_since, ?),
                   outbox_position = max(outbox_position, ?)
               WHERE id = ?""",
            (stamp, next_pull, report.error, stamp, stamp, report.outbox_position, kern_id),
        )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
