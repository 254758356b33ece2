"""Beheer removes suspicious sign-ups in one step: places freed, waiting list moved up, logged."""

from __future__ import annotations

import re

from tests.meeting_helpers import accepted, add_meeting, mails, sign_up


def statuses(db, meeting_id: int) -> list[tuple[str, int, str]]:
    return [
        (row["name"], row["people"], row["status"])
        for row in db.execute("SELECT * FROM rsvps WHERE meeting_id = ? ORDER BY id", (meeting_id,))
    ]


def remove_path(meeting_id: int) -> str:
    return f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen/verwijderen"


async def test_removing_made_up_sign_ups_frees_their_places_for_the_waiting_list(
    admin, db, settings
):
    client, csrf = admin
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    fake_one = sign_up(db, settings, meeting_id, 20, "Nep Een")
    fake_two = sign_up(db, settings, meeting_id, 20, "Nep Twee")
    sign_up(db, settings, meeting_id, 3, "Fam. Bos", email="bos@example.org")
    sign_up(db, settings, meeting_id, 2, "Fam. Smit", email="smit@example.org")
    assert accepted(db, meeting_id) == 40
    page = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen")).text
    assert f'name="aanmelding" value="{fake_one.id}"' in page
    assert re.search(rf'action="{remove_path(meeting_id)}"', page)

    response = await client.post(
        remove_path(meeting_id),
        data={"csrf": csrf, "aanmelding": [str(fake_one.id), str(fake_two.id)]},
    )
    assert response.status_code == 303
    assert statuses(db, meeting_id) == [
        ("Fam. Bos", 3, "aangemeld"),
        ("Fam. Smit", 2, "aangemeld"),
    ]
    assert accepted(db, meeting_id) == 5
    # As when someone signs off: whoever waited hears they are in.
    assert [m["to_address"] for m in mails(db, "rsvp.promoted")] == [
        "bos@example.org",
        "smit@example.org",
    ]
    after = (await client.get(response.headers["location"])).text
    assert "2 aanmeldingen zijn verwijderd." in after
    assert "40 in totaal, nog 35 vrij" in after
    public = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Nog 35 plaatsen vrij" in public
    # The audit log says who did it and how many, but names nobody.
    line = db.one("SELECT * FROM audit_log WHERE action = 'aanmeldingen.verwijderd'")
    assert line["username"] == "anna"
    assert (
        "2 aanmeldingen (40 personen) verwijderd, 2 van de wachtlijst doorgeschoven"
        in (line["summary"])
    )
    assert "Nep" not in line["summary"]


async def test_removal_refuses_bad_choices_and_changes_nothing(admin, db, settings):
    client, csrf = admin
    meeting_id, _ = add_meeting(db, settings, capacity=10)
    other_id, _ = add_meeting(db, settings, days=20, capacity=10)
    mine = sign_up(db, settings, meeting_id, 2, "Echt")
    elsewhere = sign_up(db, settings, other_id, 2, "Ergens anders")
    cases = [
        ({}, "Kies eerst de aanmeldingen die u wilt verwijderen."),
        ({"aanmelding": "abc"}, "Een van de gekozen aanmeldingen bestaat niet."),
        ({"aanmelding": "9" * 40}, "Een van de gekozen aanmeldingen bestaat niet."),
        ({"aanmelding": ["1"] * 40_000}, "Het formulier kon niet worden gelezen."),
        (
            {"aanmelding": [str(mine.id), str(elsewhere.id)]},
            "Een van de gekozen aanmeldingen bestaat niet (meer).",
        ),
    ]
    for change, message in cases:
        response = await client.post(remove_path(meeting_id), data={"csrf": csrf, **change})
        assert response.status_code == 400, change
        assert message in response.text, change
    expired = await client.post(
        remove_path(meeting_id), data={"csrf": "verkeerd", "aanmelding": str(mine.id)}
    )
    assert expired.status_code == 400
    assert "Het formulier is verlopen" in expired.text
    assert statuses(db, meeting_id) == [("Echt", 2, "aangemeld")]
    assert statuses(db, other_id) == [("Ergens anders", 2, "aangemeld")]
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'aanmeldingen.verwijderd'") == 0


async def test_only_signed_in_users_remove_sign_ups(client, db, settings):
    meeting_id, _ = add_meeting(db, settings)
    mine = sign_up(db, settings, meeting_id, 2)
    response = await client.post(remove_path(meeting_id), data={"aanmelding": str(mine.id)})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/beheer/inloggen")
    assert accepted(db, meeting_id) == 2
