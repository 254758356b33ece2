"""The group moderates ideas in beheer: order, decline with a reason, CSRF, removal."""

from __future__ import annotations

import pytest

from node.kern.ideas import model as ideas
from tests.idea_helpers import (
    IDEA,
    SENDER_EMAIL,
    SENDER_NAME,
    add_idea,
    add_published_idea,
    events_of,
)
from tests.markup import field_error


def count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


async def test_new_ideas_come_first_then_published_then_declined(admin, db, app, settings):
    client, _csrf = admin
    declined, _ = add_idea(db, app, settings, title="Afgewezen idee")
    db.write(ideas.decline_idea, settings, "test", declined, "Past niet bij het dorp.")
    add_published_idea(db, app, settings, title="Gepubliceerd idee")
    add_idea(db, app, settings, title="Oud nieuw idee")
    add_idea(db, app, settings, title="Jong nieuw idee")

    page = (await client.get("/beheer/ideeen")).text

    order = [page.index(t) for t in ("Oud nieuw", "Jong nieuw", "Gepubliceerd", "Afgewezen idee")]
    assert order == sorted(order)


async def test_the_group_sees_name_and_contact_and_no_cache_keeps_them(admin, db, app, settings):
    client, _csrf = admin
    idea_id, _ = add_idea(db, app, settings)
    page = await client.get(f"/beheer/ideeen/{idea_id}")
    assert SENDER_NAME in page.text and f"mailto:{SENDER_EMAIL}" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert (await client.get("/beheer/ideeen")).headers["cache-control"] == "no-store"


async def test_decline_with_a_reason_only_the_sender_reads(admin, db, app, settings):
    client, csrf = admin
    idea_id, token = add_idea(db, app, settings)
    slug = db.scalar("SELECT slug FROM ideas")

    response = await client.post(
        f"/beheer/ideeen/{idea_id}/afwijzen",
        data={"csrf": csrf, "reason": "Dit hoort bij de gemeente. Mail de gebiedsmakelaar."},
    )

    assert response.status_code == 303
    status = (await client.get(f"/ideeen/status/{token}")).text
    assert "niet over" in status and "Mail de gebiedsmakelaar." in status
    # No public trace.
    await client.post("/beheer/uitloggen", data={"csrf": csrf})
    assert IDEA["title"] not in (await client.get("/ideeen")).text
    assert (await client.get(f"/ideeen/{slug}")).status_code == 404
    assert count(db, "search_index") == 0 and events_of(db, "Idee") == []


async def test_declining_needs_a_reason(admin, db, app, settings):
    client, csrf = admin
    idea_id, _ = add_idea(db, app, settings)
    response = await client.post(
        f"/beheer/ideeen/{idea_id}/afwijzen", data={"csrf": csrf, "reason": "  "}
    )
    assert response.status_code == 400
    assert field_error(response.text, "reason") == "Vul de reden waarom het idee is afgewezen in."
    assert db.scalar("SELECT status FROM ideas") == "nieuw"


async def test_declining_a_published_idea_takes_it_off_the_site(admin, db, app, settings):
    client, csrf = admin
    idea_id, _token, slug = add_published_idea(db, app, settings)
    await client.post(
        f"/beheer/ideeen/{idea_id}/afwijzen", data={"csrf": csrf, "reason": "Dubbel."}
    )
    assert [e["verb"] for e in events_of(db, "Idee")] == ["Create", "Delete"]
    assert count(db, "search_index") == 0
    assert (await client.get(f"/ideeen/{slug}")).status_code == 404


async def test_answer_errors_keep_the_text(admin, db, app, settings):
    client, csrf = admin
    idea_id, _ = add_idea(db, app, settings)
    for text, message in (("", "Vul een antwoord in."), ("a" * 5001, "Gebruik hoogstens 5000")):
        response = await client.post(
            f"/beheer/ideeen/{idea_id}/antwoord", data={"csrf": csrf, "answer": text}
        )
        assert response.status_code == 400
        assert message in field_error(response.text, "answer")
    assert db.scalar("SELECT answer FROM ideas") == ""


async def test_an_answer_before_publication_stays_private_until_then(admin, db, app, settings):
    client, csrf = admin
    idea_id, token = add_idea(db, app, settings)
    await client.post(
        f"/beheer/ideeen/{idea_id}/antwoord", data={"csrf": csrf, "answer": "Mooi idee!"}
    )
    assert events_of(db, "Idee") == []
    assert "Mooi idee!" in (await client.get(f"/ideeen/status/{token}")).text
    await client.post(f"/beheer/ideeen/{idea_id}/publiceren", data={"csrf": csrf})
    slug = db.scalar("SELECT slug FROM ideas")
    assert "Mooi idee!" in (await client.get(f"/ideeen/{slug}")).text
    assert '"antwoord": "Mooi idee!"' in events_of(db, "Idee")[0]["snapshot"]


@pytest.mark.parametrize(
    "action, data",
    [
        ("publiceren", {}),
        ("antwoord", {"answer": "Goed idee."}),
        ("afwijzen", {"reason": "Nee."}),
        ("project", {}),
        ("verwijderen", {}),
    ],
)
async def test_a_wrong_csrf_token_writes_nothing(admin, db, app, settings, action, data):
    client, _csrf = admin
    if action == "project":
        idea_id, _token, _slug = add_published_idea(db, app, settings)
    else:
        idea_id, _token = add_idea(db, app, settings)
    before = db.one("SELECT * FROM ideas")
    version = db.data_version()

    response = await client.post(
        f"/beheer/ideeen/{idea_id}/{action}", data={"csrf": "fout", **data}
    )

    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.text
    assert dict(db.one("SELECT * FROM ideas")) == dict(before)
    assert db.data_version() == version and count(db, "projects") == 0


async def test_only_signed_in_users_moderate(client, db, app, settings):
    idea_id, _ = add_idea(db, app, settings)
    for path in ("/beheer/ideeen", f"/beheer/ideeen/{idea_id}"):
        response = await client.get(path)
        assert response.status_code == 303 and "/beheer/inloggen" in response.headers["location"]
    response = await client.post(f"/beheer/ideeen/{idea_id}/publiceren", data={})
    assert response.status_code == 303
    assert db.scalar("SELECT status FROM ideas") == "nieuw"


async def test_a_redacteur_may_moderate(editor, db, app, settings):
    client, csrf = editor
    idea_id, _ = add_idea(db, app, settings)
    response = await client.post(f"/beheer/ideeen/{idea_id}/publiceren", data={"csrf": csrf})
    assert response.status_code == 303
    assert db.scalar("SELECT status FROM ideas") == "gepubliceerd"


async def test_publishing_twice_is_refused_kindly(admin, db, app, settings):
    client, csrf = admin
    idea_id, _token, _slug = add_published_idea(db, app, settings)
    response = await client.post(f"/beheer/ideeen/{idea_id}/publiceren", data={"csrf": csrf})
    assert response.status_code == 400 and "al gepubliceerd of afgewezen" in response.text
    assert len(events_of(db, "Idee")) == 1


async def test_an_idea_called_nieuw_does_not_hide_the_form(client, db, app, settings):
    _id, _token, slug = add_published_idea(db, app, settings, title="Nieuw")
    assert slug == "idee-nieuw"
    assert "Stuur een idee in" in (await client.get("/ideeen/nieuw")).text
    assert (await client.get(f"/ideeen/{slug}")).status_code == 200


async def test_removing_an_idea_wipes_the_sender_and_every_public_trace(admin, db, app, settings):
    client, csrf = admin
    idea_id, token, slug = add_published_idea(db, app, settings)
    db.write(ideas.add_support, idea_id, "iemand")
    assert (await client.get(f"/beheer/ideeen/{idea_id}/verwijderen")).status_code == 200

    response = await client.post(f"/beheer/ideeen/{idea_id}/verwijderen", data={"csrf": csrf})

    assert response.status_code == 303
    row = db.one("SELECT * FROM ideas")
    assert row["removed_at"] and row["name"] == "" and row["contact"] == ""
    assert count(db, "idea_supports") == 0 and count(db, "search_index") == 0
    assert [e["verb"] for e in events_of(db, "Idee")] == ["Create", "Delete"]
    assert (await client.get(f"/beheer/ideeen/{idea_id}")).status_code == 404
    await client.post("/beheer/uitloggen", data={"csrf": csrf})
    assert (await client.get(f"/ideeen/{slug}")).status_code == 404
    assert (await client.get(f"/ideeen/status/{token}")).status_code == 404


async def test_unknown_idea_in_beheer_is_404(admin):
    client, csrf = admin
    assert (await client.get("/beheer/ideeen/999")).status_code == 404
    assert (
        await client.post("/beheer/ideeen/999/publiceren", data={"csrf": csrf})
    ).status_code == 404
