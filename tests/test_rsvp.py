"""RSVPs without an account: capacity, the waiting list, the personal link, bad input."""

from __future__ import annotations

import asyncio
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from node.kern.meetings import model as meetings
from node.kern.meetings import rsvp
from tests.conftest import BASE_URL
from tests.markup import field_value, ids, link_targets, select
from tests.meeting_helpers import accepted, add_meeting, mails, sign_up

RESIDENT = {"name": "Jan Bos", "email": "jan@example.org", "phone": "", "people": "2"}
# The redirect points at the confirmation on the personal page.
TOKEN_PATH = re.compile(r"^/aanmelding/([A-Za-z0-9_-]{43})#aanmelding-melding$")


def statuses(db, meeting_id: int) -> list[tuple[str, int, str]]:
    return [
        (row["name"], row["people"], row["status"])
        for row in db.execute("SELECT * FROM rsvps WHERE meeting_id = ? ORDER BY id", (meeting_id,))
    ]


async def rsvp_post(client, slug: str, **changes) -> httpx.Response:
    return await client.post(f"/bijeenkomsten/{slug}/aanmelden", data={**RESIDENT, **changes})


# --- Signing up ---------------------------------------------------------------------------


async def test_sign_up_gives_a_personal_link_and_stores_only_its_hash(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=10)
    response = await rsvp_post(client, slug)
    assert response.status_code == 303
    token = TOKEN_PATH.match(response.headers["location"]).group(1)
    row = db.one("SELECT * FROM rsvps")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(dict(row))
    assert (row["name"], row["people"], row["status"]) == ("Jan Bos", 2, "aangemeld")
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "U bent aangemeld met 2 personen." in page.text
    assert page.headers["cache-control"] == "no-store"
    meeting_page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Nog 8 plaatsen vrij" in meeting_page


async def test_without_an_email_nothing_is_mailed_and_the_link_is_shown(client, db, settings):
    _, slug = add_meeting(db, settings)
    response = await rsvp_post(client, slug, email="")
    assert response.status_code == 303
    assert mails(db) == []
    page = await client.get(response.headers["location"])
    assert "persoonlijke link" in page.text


async def test_a_full_meeting_puts_residents_on_the_waiting_list(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=3)
    await rsvp_post(client, slug, name="Eerste", people="2")
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Er is nog 1 plaats vrij." in page
    # Two people do not fit in one place: the whole group waits.
    response = await rsvp_post(client, slug, name="Tweede", people="2")
    personal = await client.get(response.headers["location"])
    assert "U staat op de wachtlijst met 2 personen." in personal.text
    await rsvp_post(client, slug, name="Derde", people="1")
    assert statuses(db, meeting_id) == [
        ("Eerste", 2, "aangemeld"),
        ("Tweede", 2, "wachtlijst"),
        ("Derde", 1, "aangemeld"),
    ]
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Vol: u komt op de wachtlijst" in page
    assert "Zet mij op de wachtlijst" in page
    listing = (await client.get("/bijeenkomsten")).text
    assert "Vol: u komt op de wachtlijst" in listing


RSVP_BAD_INPUT = [
    ({"name": ""}, "Vul uw naam in."),
    ({"name": "x" * 101}, "Gebruik hoogstens 100 tekens."),
    ({"email": "jan@@example"}, "Vul een geldig e-mailadres in"),
    ({"email": "jan@example"}, "Vul een geldig e-mailadres in"),
    ({"email": "<script>@x.nl"}, "Vul een geldig e-mailadres in"),
    ({"name": "Marieke\nvan Dam"}, "Schrijf dit op één regel"),
    ({"email": "a,marieke@example.nl"}, "Vul een geldig e-mailadres in"),
    ({"email": "marieke@example.nl;piet@example.nl"}, "Vul een geldig e-mailadres in"),
    ({"email": "Marieke <marieke@example.nl>"}, "Vul een geldig e-mailadres in"),
    ({"email": "a" * 250 + "@example.org"}, "Gebruik hoogstens 254 tekens."),
    ({"phone": "bel me"}, "Vul een geldig telefoonnummer in"),
    ({"phone": "0612"}, "Vul een geldig telefoonnummer in"),
    ({"phone": "0" * 31}, "Gebruik hoogstens 30 tekens."),
    ({"people": "0"}, "Kies 1 tot 20 personen."),
    ({"people": "21"}, "Kies 1 tot 20 personen."),
    ({"people": "-3"}, "Kies 1 tot 20 personen."),
    ({"people": "veel"}, "Vul een aantal in, bijvoorbeeld 2."),
    ({"people": ""}, "Vul in met hoeveel personen u komt."),
    ({"people": "99999999999999999999"}, "Vul een aantal in, bijvoorbeeld 2."),
]


@pytest.mark.parametrize(("change", "message"), RSVP_BAD_INPUT)
async def test_bad_rsvp_input_is_refused_with_a_dutch_message_and_kept(
    client, db, settings, change, message
):
    _, slug = add_meeting(db, settings, capacity=10)
    data = {**RESIDENT, "name": "Marieke van Dam", "phone": "06 12345678", **change}
    response = await client.post(f"/bijeenkomsten/{slug}/aanmelden", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert "Controleer wat u heeft ingevuld" in response.text
    for key, value in data.items():
        if key not in change:
            assert field_value(response.text, key) == value, f"{key} is kept"
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    assert mails(db) == []


async def test_script_in_an_rsvp_is_escaped_on_the_page_again(client, db, settings):
    _, slug = add_meeting(db, settings)
    response = await rsvp_post(client, slug, name="<script>alert(1)</script>", people="0")
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_a_bot_filling_the_hidden_field_is_quietly_ignored(client, db, settings):
    _, slug = add_meeting(db, settings)
    response = await rsvp_post(client, slug, website="http://spam.example")
    assert response.status_code == 303
    assert not response.headers["location"].startswith("/aanmelding/")
    assert db.scalar("SELECT count(*) FROM rsvps") == 0


async def test_too_many_rsvps_from_one_address_are_refused(app, db, settings):
    from node.kern.meetings.pages import RSVP_LIMIT

    _, slug = add_meeting(db, settings)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for _ in range(RSVP_LIMIT[0]):
            assert (await rsvp_post(http, slug, people="1")).status_code == 303
        response = await rsvp_post(http, slug, people="1")
    assert response.status_code == 429
    assert "te veel aanmeldingen van uw adres" in response.text
    # Beyond its share of places an address confirms by e-mail (test_rsvp_confirmation.py);
    # either way, every post up to the limit was taken.
    taken = db.scalar("SELECT count(*) FROM rsvps")
    assert taken + db.scalar("SELECT count(*) FROM rsvp_requests") == RSVP_LIMIT[0]


async def test_a_cross_site_rsvp_is_refused(client, db, settings):
    _, slug = add_meeting(db, settings)
    response = await client.post(
        f"/bijeenkomsten/{slug}/aanmelden",
        data=RESIDENT,
        headers={"Origin": "https://kwaad.example"},
    )
    assert response.status_code == 403
    assert db.scalar("SELECT count(*) FROM rsvps") == 0


async def test_a_cancelled_meeting_refuses_rsvps(client, db, settings):
    meeting_id, slug = add_meeting(db, settings)
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "Het dorpshuis is dicht.")
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Deze bijeenkomst gaat niet door." in page
    assert "Het dorpshuis is dicht." in page
    assert f'action="/bijeenkomsten/{slug}/aanmelden"' not in page
    response = await rsvp_post(client, slug)
    assert response.status_code == 400
    assert "Deze bijeenkomst gaat niet door. U kunt zich niet meer aanmelden." in response.text
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    with pytest.raises(rsvp.RsvpError):
        sign_up(db, settings, meeting_id)


async def test_a_past_meeting_refuses_rsvps(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, days=-3)
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    # Nothing on the page offers a sign-up any more; it says the meeting is over.
    assert "Deze bijeenkomst is voorbij" in page
    assert "aanmelden-titel" not in ids(page)
    assert select(page, "main form[action$='/aanmelden']") == []
    assert "/poster" not in page  # no link, no form, nothing that leads to the poster
    response = await rsvp_post(client, slug)
    assert response.status_code == 400
    assert "Deze bijeenkomst is al begonnen of voorbij." in response.text
    with pytest.raises(rsvp.RsvpError):
        sign_up(db, settings, meeting_id)
    assert db.scalar("SELECT count(*) FROM rsvps") == 0


async def test_unknown_meeting_and_unknown_tokens_are_404(client, db, settings):
    assert (await rsvp_post(client, "bestaat-niet")).status_code == 404
    assert (await client.get("/aanmelding/" + "A" * 43)).status_code == 404
    assert (
        await client.post("/aanmelding/" + "A" * 43, data={"actie": "afmelden"})
    ).status_code == 404
    assert (await client.get("/aanmelding/kort")).status_code == 404
    assert (await client.get("/bijeenkomsten/bestaat-niet")).status_code == 404
    assert (await client.get("/bijeenkomsten/bestaat-niet/kalender.ics")).status_code == 404


# --- The personal link: change and cancel -------------------------------------------------


async def test_lowering_the_number_frees_places_for_the_waiting_list(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=4)
    first = sign_up(db, settings, meeting_id, 4, "Groot gezin")
    sign_up(db, settings, meeting_id, 3, "Drie", email="drie@example.org")
    sign_up(db, settings, meeting_id, 2, "Twee", email="twee@example.org")
    sign_up(db, settings, meeting_id, 1, "Een")
    response = await client.post(
        rsvp.personal_path(first.token), data={"actie": "wijzigen", "people": "2"}
    )
    assert response.status_code == 303
    # Two places free: the group of three still waits; the two after it fit and go first.
    assert statuses(db, meeting_id) == [
        ("Groot gezin", 2, "aangemeld"),
        ("Drie", 3, "wachtlijst"),
        ("Twee", 2, "aangemeld"),
        ("Een", 1, "wachtlijst"),
    ]
    promoted = mails(db, "rsvp.promoted")
    assert [m["to_address"] for m in promoted] == ["twee@example.org"]
    assert "Er is plaats" in promoted[0]["subject"]


async def test_cancelling_promotes_the_waiting_list_in_order(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=5)
    a = sign_up(db, settings, meeting_id, 3, "A")
    sign_up(db, settings, meeting_id, 2, "B")
    sign_up(db, settings, meeting_id, 3, "C", email="c@example.org")
    sign_up(db, settings, meeting_id, 1, "D", email="d@example.org")
    sign_up(db, settings, meeting_id, 2, "E", email="e@example.org")
    assert accepted(db, meeting_id) == 5
    response = await client.post(rsvp.personal_path(a.token), data={"actie": "afmelden"})
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "U bent afgemeld." in page.text
    assert statuses(db, meeting_id) == [
        ("A", 3, "afgemeld"),
        ("B", 2, "aangemeld"),
        ("C", 3, "aangemeld"),
        ("D", 1, "wachtlijst"),
        ("E", 2, "wachtlijst"),
    ]
    assert [m["to_address"] for m in mails(db, "rsvp.promoted")] == ["c@example.org"]
    # Signing off twice changes nothing and says so.
    again = await client.post(rsvp.personal_path(a.token), data={"actie": "afmelden"})
    assert again.status_code == 400
    assert "U heeft zich al afgemeld" in again.text
    assert accepted(db, meeting_id) == 5


async def test_asking_for_more_places_than_are_free_is_refused(client, db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=5)
    mine = sign_up(db, settings, meeting_id, 2, "Ik")
    sign_up(db, settings, meeting_id, 2, "Buren")
    response = await client.post(
        rsvp.personal_path(mine.token), data={"actie": "wijzigen", "people": "4"}
    )
    assert response.status_code == 400
    assert "Er is plaats voor 3 personen." in response.text
    assert field_value(response.text, "people") == "4", "the number typed is kept"
    assert statuses(db, meeting_id)[0] == ("Ik", 2, "aangemeld")
    ok = await client.post(
        rsvp.personal_path(mine.token), data={"actie": "wijzigen", "people": "3"}
    )
    assert ok.status_code == 303
    assert accepted(db, meeting_id) == 5


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ("0", "Kies 1 tot 20 personen."),
        ("21", "Kies 1 tot 20 personen."),
        ("x", "Vul een aantal in"),
    ],
)
async def test_bad_numbers_on_the_personal_page(client, db, settings, people, message):
    meeting_id, _ = add_meeting(db, settings)
    mine = sign_up(db, settings, meeting_id, 2)
    response = await client.post(
        rsvp.personal_path(mine.token), data={"actie": "wijzigen", "people": people}
    )
    assert response.status_code == 400
    assert message in response.text
    assert statuses(db, meeting_id)[0][1] == 2


async def test_an_unknown_action_changes_nothing(client, db, settings):
    meeting_id, _ = add_meeting(db, settings)
    mine = sign_up(db, settings, meeting_id, 2)
    response = await client.post(rsvp.personal_path(mine.token), data={"actie": "wissen"})
    assert response.status_code == 400
    assert statuses(db, meeting_id)[0][2] == "aangemeld"


async def test_after_the_meeting_the_rsvp_cannot_change(client, db, settings):
    meeting_id, _ = add_meeting(db, settings, days=2)
    mine = sign_up(db, settings, meeting_id, 2)
    db.write(
        lambda conn: conn.execute(
            "UPDATE meetings SET starts_at = '2020-01-01T18:00:00+00:00', "
            "ends_at = '2020-01-01T20:00:00+00:00' WHERE id = ?",
            (meeting_id,),
        )
    )
    page = await client.get(rsvp.personal_path(mine.token))
    assert select(page.text, '[name="actie"]') == []
    response = await client.post(rsvp.personal_path(mine.token), data={"actie": "afmelden"})
    assert response.status_code == 400
    assert "al begonnen of voorbij" in response.text
    assert statuses(db, meeting_id)[0][2] == "aangemeld"


# --- Capacity under concurrency -----------------------------------------------------------


async def test_sixty_residents_at_once_never_exceed_25_places(app, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=25)

    async def resident(number: int) -> str:
        # Each resident on their own address, as in a real village.
        transport = httpx.ASGITransport(app=app, client=(f"10.0.{number // 250}.{number % 250}", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            response = await rsvp_post(http, slug, name=f"Inwoner {number}", email="", people="1")
            return response.headers.get("location", "")

    locations = await asyncio.gather(*(resident(n) for n in range(60)))
    assert all(TOKEN_PATH.match(location) for location in locations)
    assert accepted(db, meeting_id) == 25
    assert db.scalar("SELECT count(*) FROM rsvps WHERE status = 'wachtlijst'") == 35


def test_writers_on_threads_never_exceed_capacity(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=25)
    sizes = [1 + n % 4 for n in range(60)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(
            pool.map(
                lambda n: db.write(rsvp.sign_up, settings, meeting_id, f"P{n}", "", "", sizes[n]),
                range(60),
            )
        )
    taken = accepted(db, meeting_id)
    assert taken <= 25
    assert sum(r.people for r in results if r.status == "aangemeld") == taken
    # Whoever waits really did not fit: no free place is left that a waiting group fits in.
    waiting = [r.people for r in results if r.status == "wachtlijst"]
    assert waiting and min(waiting) > 25 - taken


def test_threads_signing_off_and_up_keep_the_count_right(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=10)
    first = [sign_up(db, settings, meeting_id, 1, f"A{n}") for n in range(10)]

    def churn(n: int) -> None:
        if n < 10:
            rsvp_id = first[n].id
            db.write(rsvp.cancel_rsvp, settings, rsvp_id)
        else:
            db.write(rsvp.sign_up, settings, meeting_id, f"B{n}", "", "", 1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(churn, range(40)))
    assert accepted(db, meeting_id) == 10
    assert (
        db.scalar(
            "SELECT count(*) FROM rsvps WHERE meeting_id = ? AND status = 'wachtlijst'",
            (meeting_id,),
        )
        == 20
    )


async def test_a_planned_meeting_links_its_poster(client, db, settings):
    _, slug = add_meeting(db, settings, days=5)
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert f"/bijeenkomsten/{slug}/poster" in link_targets(page)
    assert (await client.get(f"/bijeenkomsten/{slug}/poster")).status_code == 200
