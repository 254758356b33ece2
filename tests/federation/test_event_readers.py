"""A kern's meetings as Gancio and Mobilizon read them (rules in tests/federation/event_readers.py).

The activities are the ones a real kern publishes for a meeting it creates, changes and removes,
taken from its outbox; each must pass both readers. The readers themselves are checked on the
document Bloei sent before (an array `type`, a text address), which Gancio refused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

from federation import vocabulary
from node.kern.federation import as_objects
from node.kern.meetings import model as meetings
from tests.federation.event_readers import (
    gancio_refusals,
    gancio_trusted_actor,
    mastodon_post,
    mastodon_refusals,
    mobilizon_address,
    mobilizon_refusals,
)
from tests.meeting_helpers import add_meeting


def _activities(db, object_id: str) -> list[dict]:
    rows = db.execute("SELECT document FROM federation_outbox ORDER BY position")
    found = [json.loads(row["document"]) for row in rows]
    return [a for a in found if vocabulary.id_of(a.get("object")) == object_id]


def _create_update_delete(db, settings, **meeting) -> tuple[dict, dict, dict]:
    meeting_id, slug = add_meeting(db, settings, days=20, **meeting)
    url = settings.url(meetings.meeting_path(slug))
    [create] = [a for a in _activities(db, url) if a["type"] == "Create"]
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "De zaal is niet vrij.")
    [update] = [a for a in _activities(db, url) if a["type"] == "Update"][-1:]
    db.write(meetings.remove_meeting, settings, "test", meeting_id)
    [delete] = [a for a in _activities(db, url) if a["type"] == "Delete"]
    return create, update, delete


def test_gancio_and_mobilizon_accept_a_kerns_create_update_and_delete(db, settings):
    create, update, delete = _create_update_delete(db, settings, capacity=40)

    assert gancio_refusals(create) == []
    assert gancio_refusals(update) == []
    assert gancio_refusals(delete) == []
    assert mobilizon_refusals(create) == []
    assert mobilizon_refusals(update) == []
    # Mobilizon keeps the place's parts; Gancio's line is street and town.
    stored = mobilizon_address(create["object"]["location"])
    assert stored["street"] == "Dorpsstraat 1" and stored["postal_code"] == "4153 AA"
    assert stored["locality"] == "Beesd" and stored["description"] == "Dorpshuis De Pluk"
    # Mobilizon shows the cancellation the Update carries.
    assert create["object"]["status"] == "CONFIRMED" and update["object"]["status"] == "CANCELLED"
    assert delete["object"]["formerType"] == "Event"
    assert delete["object"]["kind"] == "Bijeenkomst"
    # Mastodon shows it as a post: the name as heading, the summary, a link to the meeting.
    assert mastodon_refusals(create) == [] and mastodon_refusals(update) == []
    heading, summary, link = mastodon_post(create)
    assert heading == create["object"]["name"] and "Dorpshuis De Pluk" in summary
    assert link == create["object"]["url"] == create["object"]["id"]


def test_a_meeting_without_an_address_or_a_limit_is_still_accepted(db, settings):
    create, update, _ = _create_update_delete(db, settings, place_address="")

    place = create["object"]["location"]
    # The village is the locality: Gancio needs a street or a town, Mobilizon a map.
    assert place["address"]["addressLocality"] == settings.name
    assert "maximumAttendeeCapacity" not in create["object"]
    assert gancio_refusals(create) == [] and gancio_refusals(update) == []
    assert mobilizon_refusals(create) == [] and mobilizon_refusals(update) == []


def test_the_readers_refuse_what_bloei_sent_before():
    # Bloei's meeting as sent before this change: an array type and a text address.
    before = {
        "type": "Create",
        "actor": "https://beesd.example/actor",
        "object": {
            "id": "https://beesd.example/bijeenkomsten/dorpsavond",
            "type": ["Event", "Bijeenkomst"],
            "name": "Dorpsavond",
            "startTime": "2026-03-02T18:30:00Z",
            "to": [vocabulary.PUBLIC],
            "location": {"type": "Place", "name": "Dorpshuis", "address": "Kerkstraat 1"},
        },
    }
    assert gancio_refusals(before) and mobilizon_refusals(before)
    plain = {**before, "object": {**before["object"], "type": "Event"}}
    # Gancio stores it with only the type changed (as the issue found), Mobilizon not yet.
    assert gancio_refusals(plain) == []
    assert "location.address is not a PostalAddress" in " ".join(mobilizon_refusals(plain))
    update = {**plain, "type": "Update"}
    assert any("attachment" in p for p in gancio_refusals(update))
    old_delete = {
        "type": "Delete",
        "object": {"id": plain["object"]["id"], "type": "Tombstone",
                   "formerType": ["Event", "Bijeenkomst"]},
    }  # fmt: skip
    assert gancio_refusals(old_delete)
    attachment_without_type = {
        **plain,
        "object": {**plain["object"], "attachment": [{"type": "Image", "url": "x"}]},
    }
    assert gancio_refusals(attachment_without_type)


def test_old_documents_with_the_array_type_still_read_as_meetings():
    old = {"type": ["Event", "Bijeenkomst"]}
    new = {"type": "Event", "kind": "Bijeenkomst"}
    assert vocabulary.types_of(old) == vocabulary.types_of(new) == ("Event", "Bijeenkomst")
    moment = datetime(2026, 3, 2, 12, tzinfo=UTC)
    tombstone = vocabulary.tombstone("https://beesd.example/b/1", ["Event", "Bijeenkomst"], moment)
    assert tombstone["formerType"] == "Event" and tombstone["kind"] == "Bijeenkomst"
    assert vocabulary.former_types_of(tombstone) == ("Event", "Bijeenkomst")
    assert vocabulary.former_types_of({"formerType": ["Event", "Bijeenkomst"]}) == (
        "Event",
        "Bijeenkomst",
    )


def test_a_project_photo_travels_with_its_alt_text_and_media_type():
    author = as_objects.Author(
        "https://beesd.example/actor", "https://beesd.example/actor/followers"
    )
    snapshot = {
        "id": "https://beesd.example/projecten/speeltuin",
        "titel": "Speeltuin",
        "foto": "https://beesd.example/media/0123.jpg",
        "fotoBeschrijving": "Kinderen op de nieuwe schommel",
    }
    project = as_objects.build("Project", snapshot, author)
    assert project["attachment"] == [
        {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": "https://beesd.example/media/0123.jpg",
            "name": "Kinderen op de nieuwe schommel",
        }
    ]
    # Projects keep their Bloei type; every object has a name, a text and a url.
    assert project["type"] == ["Page", "Project"]
    assert project["name"] == "Speeltuin" and project["content"] == ""
    assert project["url"] == snapshot["id"]
    # Mastodon shows a project as a post with its name and a link, its photo with the alt text.
    activity = {"type": "Create", "actor": author.actor_id, "object": project}
    assert mastodon_refusals(activity) == []
    assert mastodon_post(activity) == ["Speeltuin", snapshot["id"]]
    # Bloei's own type alone would not be shown at all.
    alone = {**activity, "object": {**project, "type": "Project"}}
    assert mastodon_refusals(alone) == ["unsupported object type 'Project'"]


async def test_gancio_trusts_the_kern_itself_by_its_account_address(client, settings):
    """No FEP-2677 link (docs/FEDERATION.md): Gancio would trust a silent Application actor
    while the Group sends the meetings. By its account address Gancio trusts the Group."""
    host = urlsplit(settings.public_url).netloc
    discovery = (await client.get("/.well-known/nodeinfo")).json()
    resource = f"acct:{settings.slug}@{host}"
    webfinger = (await client.get("/.well-known/webfinger", params={"resource": resource})).json()
    actor = (await client.get("/actor", headers={"Accept": "application/activity+json"})).json()

    trusted = gancio_trusted_actor(f"@{settings.slug}@{host}", discovery, webfinger)
    assert trusted == actor["id"] and actor["type"] == "Group"
    # By the instance's URL Gancio finds no actor to trust, and says so (404), rather than
    # trusting one that never sends an event.
    assert gancio_trusted_actor(settings.public_url, discovery, None) is None
    # The first discovery link is the NodeInfo one, as Gancio reads it.
    assert "nodeinfo.diaspora.software/ns/schema/2.1" in discovery["links"][0]["rel"]
