"""Bloei's JSON-LD context and the activity builders."""

from federation_helpers import NOW

from federation import vocabulary as v

ACTOR = "https://beesd.example/actor"
FOLLOWERS = ACTOR + "/followers"


def test_the_context_is_activitystreams_security_data_integrity_and_bloei_inline():
    assert v.CONTEXT[:3] == [v.AS_CONTEXT, v.SECURITY_V1, v.DATA_INTEGRITY_V2]
    inline = v.CONTEXT[3]
    assert inline["bloei"] == "https://w3id.org/bloei/ns#"
    for term in v.TERMS:
        assert term.name in inline, term.name
        entry = inline[term.name]
        iri = entry if isinstance(entry, str) else entry["@id"]
        assert iri == "bloei:" + term.name


def test_typed_links_and_dates_are_coerced_in_the_context():
    inline = v.CONTEXT[3]
    assert inline["themas"] == {"@id": "bloei:themas", "@type": "@id", "@container": "@set"}
    assert inline["startdatum"] == {"@id": "bloei:startdatum", "@type": "xsd:date"}
    assert inline["fase"] == "bloei:fase"


def test_every_bloei_object_type_travels_with_a_standard_type():
    project = v.typed("Project", id="https://beesd.example/projecten/zebra", name="Zebrapad")
    assert project["type"] == ["Page", "Project"]
    # A meeting is a plain Event for readers that compare `type` with a string (Gancio).
    meeting = v.typed("Bijeenkomst")
    assert meeting["type"] == "Event" and meeting["kind"] == "Bijeenkomst"
    assert v.types_of(meeting) == ("Event", "Bijeenkomst")
    assert v.types_of({"type": ["Event", "Bijeenkomst"]}) == ("Event", "Bijeenkomst")
    for term in v.TERMS:
        if term.kind == "type" and term.beside:
            assert term.beside in v.OBJECT_TYPES


def test_create_addresses_the_object_like_the_activity():
    obj = {"@context": v.CONTEXT, "id": "https://beesd.example/nieuws/1", "type": "Note"}
    activity = v.create(
        ACTOR,
        obj,
        activity_id=ACTOR + "/activities/1",
        published=NOW,
        **v.public_audience(FOLLOWERS),
    )
    assert activity["@context"] == v.CONTEXT
    assert activity["type"] == "Create" and activity["published"] == "2026-11-29T12:00:00Z"
    assert activity["to"] == [v.PUBLIC] and activity["cc"] == [FOLLOWERS]
    assert activity["object"]["to"] == [v.PUBLIC] and activity["object"]["cc"] == [FOLLOWERS]
    assert "@context" not in activity["object"]  # one context, at the top


def test_delete_carries_a_tombstone_with_the_former_type():
    activity = v.delete(
        ACTOR,
        "https://beesd.example/projecten/zebra",
        ["Page", "Project"],
        activity_id=ACTOR + "/activities/2",
        published=NOW,
    )
    assert activity["object"] == {
        "id": "https://beesd.example/projecten/zebra",
        "type": "Tombstone",
        "formerType": ["Page", "Project"],
        "deleted": "2026-11-29T12:00:00Z",
    }


def test_follow_accept_reject_undo_announce_move():
    follow = v.follow(ACTOR, "https://gemeente.example/actor", activity_id="urn:f")
    assert follow["to"] == ["https://gemeente.example/actor"]
    accept = v.accept("https://gemeente.example/actor", follow, activity_id="urn:a")
    assert accept["object"]["id"] == "urn:f" and accept["to"] == [ACTOR]
    assert (
        v.reject("https://gemeente.example/actor", follow, activity_id="urn:r")["type"] == "Reject"
    )
    undo = v.undo(ACTOR, follow, activity_id="urn:u")
    assert undo["object"]["type"] == "Follow"
    note = {"id": "https://beesd.example/nieuws/1", "type": "Note"}
    announce = v.announce(ACTOR, note, activity_id="urn:b", published=NOW)
    assert announce["object"] == note  # the object itself, not its Create
    move = v.move(ACTOR, "https://nieuw.example/actor", activity_id="urn:m", published=NOW)
    assert move["object"] == ACTOR and move["target"] == "https://nieuw.example/actor"
    built = {x["type"] for x in (follow, accept, undo, announce, move)}
    assert built <= set(v.ACTIVITY_TYPES)


def test_undefined_terms_finds_what_nobody_defined():
    document = {
        "@context": v.CONTEXT,
        "type": ["Page", "Project"],
        "fase": "uitvoering",
        "budget": {"type": "Budget", "aangevraagd": 100, "geheim": "x"},
        "vrijwilligers": [{"naam": "Piet"}],
    }
    assert v.undefined_terms(document) == {"geheim", "vrijwilligers", "naam"}


def test_helpers_read_ids_and_types():
    assert v.id_of("https://a") == "https://a"
    assert v.id_of({"id": "https://b"}) == "https://b"
    assert v.id_of({"type": "Note"}) is None
    assert v.types_of({"type": ["Page", "Project"]}) == ("Page", "Project")
    assert v.new_id(ACTOR + "/activities/").startswith(ACTOR + "/activities/")
