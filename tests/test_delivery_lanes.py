"""A follower that never answers delays only its own deliveries: real receivers on 127.0.0.1,
one that answers at once and one that takes the connection and says nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from receivers import FastInbox, HangingInbox

from federation import delivery, followers
from federation.addresses import AddressPolicy
from federation.store import parse_timestamp
from node.app import create_app, open_database
from node.kern.agenda import model as agenda
from node.settings import SettingsError, load_settings

WAIT = 20.0  # generous: the steps below take milliseconds


def thema(number: int) -> dict:
    return {
        "title": f"Thema {number}",
        "description": "Te hard rijden op de Dorpsstraat.",
        "priority": "middel",
        "status": "loopt",
        "actor": "samen",
        "actor_other": "",
    }


async def until(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"waited {WAIT} s for {what}"
        await asyncio.sleep(0.01)


@pytest.fixture
def inboxes():
    fast, hanging = FastInbox(), HangingInbox()
    yield fast, hanging
    fast.close()
    hanging.close()


def follow(db, *inboxes: str) -> None:
    now = datetime.now(UTC)

    def save(conn) -> None:
        for number, inbox in enumerate(inboxes):
            actor = inbox.replace("/inbox", f"/actor-{number}")
            followers.save_follower(conn, actor, inbox, None, "accepted", now)

    db.write_quiet(save)


def add_setting(settings, line: str) -> None:
    with (settings.data_dir / "bloei.toml").open("a") as config:
        config.write(line + "\n")


def jobs_to(db, inbox: str) -> list[dict]:
    found = db.execute("SELECT * FROM federation_deliveries WHERE inbox = ? ORDER BY id", (inbox,))
    return [dict(row) for row in found]


def create_ids(fast: FastInbox) -> list[str]:
    return [a["id"] for a in fast.received if a["type"] == "Create"]


async def test_a_follower_that_never_answers_holds_up_only_its_own_deliveries(
    settings, db, app, inboxes
):
    fast, hanging = inboxes
    federation = app.state.federation
    federation.policy = AddressPolicy(dev=True)
    follow(db, fast.url, hanging.url)
    # Given a change queued for both followers, and a round that sends it
    db.write(agenda.save_thema, settings, "test", thema(1))
    round_ = asyncio.create_task(federation.deliver())
    try:
        # When the hanging follower has taken its request and keeps the round waiting
        await until(lambda: hanging.requests >= 1, "the hanging follower's request")
        await until(lambda: len(create_ids(fast)) == 1, "the first change at the fast follower")
        # and the next change is saved meanwhile
        db.write(agenda.save_thema, settings, "test", thema(2))
        # Then the fast follower gets it while the hanging delivery is still in flight
        await until(lambda: len(create_ids(fast)) == 2, "the second change at the fast follower")
        assert hanging.requests == 1 and hanging.answered == 0
        [first, second] = jobs_to(db, hanging.url)
        assert first["lease_until"] is not None and first["tries"] == 0  # still in flight
        assert second["lease_until"] is None and second["tries"] == 0  # waits in its lane
    finally:
        # The hanging follower hangs up without an answer
        hanging.release()
        report = await asyncio.wait_for(round_, WAIT)
    # The round sent the rest and ended: the unanswered delivery waits for its next try, and
    # the follower's next one for the next round
    assert report.retrying == 1 and report.done == 2
    [first, second] = jobs_to(db, hanging.url)
    assert first["status"] == "pending" and first["tries"] == 1
    assert parse_timestamp(first["next_try_at"]) > datetime.now(UTC)
    assert second["status"] == "pending" and second["tries"] == 0
    # Both are delivered once the follower answers again
    later = parse_timestamp(first["next_try_at"]) + timedelta(seconds=1)
    assert (await federation.deliver(later)).done == 2
    assert [job["status"] for job in jobs_to(db, hanging.url)] == ["done", "done"]
    assert hanging.answered == 2


def test_one_inbox_gets_its_deliveries_one_at_a_time_in_the_order_they_were_queued(
    settings, db, app, inboxes
):
    fast, _hanging = inboxes
    federation = app.state.federation
    federation.policy = AddressPolicy(dev=True)
    follow(db, fast.url)
    for number in range(5):
        db.write(agenda.save_thema, settings, "test", thema(number))
    # A claim takes one job per inbox, however many are due
    assert len(delivery.claim_due(federation.store, datetime.now(UTC), limit=10)) == 1
    assert asyncio.run(federation.deliver(datetime.now(UTC) + delivery.LEASE)).done == 5
    queued = [job["activity_id"] for job in jobs_to(db, fast.url)]
    assert fast.ids() == queued


def test_a_delivery_that_gets_no_answer_gives_up_after_the_configured_timeout(
    settings, inboxes, tmp_path
):
    _fast, hanging = inboxes
    add_setting(settings, "delivery_timeout_seconds = 1")
    short = load_settings(settings.data_dir)
    database = open_database(short)
    try:
        federation = create_app(short, database).state.federation
        federation.policy = AddressPolicy(dev=True)
        follow(database, hanging.url)
        database.write(agenda.save_thema, short, "test", thema(1))
        report = asyncio.run(federation.deliver())
        assert report.retrying == 1
        [job] = jobs_to(database, hanging.url)
        assert job["status"] == "pending" and job["last_error"] == "no answer within 1 s"
    finally:
        database.close()


@pytest.mark.parametrize(
    "value, message", [("0", "from 1 to 60"), ("61", "from 1 to 60"), ("tien", "whole number")]
)
def test_the_delivery_timeout_must_be_a_few_seconds(settings, value, message):
    add_setting(settings, f'delivery_timeout_seconds = "{value}"')
    with pytest.raises(SettingsError, match=f"delivery_timeout_seconds must be .*{message}"):
        load_settings(settings.data_dir)
