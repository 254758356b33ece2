"""Answering the kernen: a reactie on a project, a gemeentebericht to one kern or all, signed,
delivered to the kern's inbox and kept as the trail of what was said when."""

from __future__ import annotations

import json
import re

from markup import links_with_text, select

from federation import proofs, vocabulary
from node.gemeente import reactions


async def test_a_reactie_is_delivered_signed_and_kept(two_kernen, gemeente_app, real_kernen):
    http, ids = two_kernen
    beesd = real_kernen["beesd.test"]
    token = _token(await http.get("/beheer"))
    project = beesd.objects["Zebrapad bij de school"]

    page = await http.get(f"/beheer/reactie?op={project}")
    sent = await http.post(
        f"/beheer/reactie?op={project}",
        data={"csrf": token, "text": "We leggen het zebrapad in maart aan."},
    )
    await gemeente_app.state.federation.deliver()

    assert page.status_code == 200 and "Zebrapad bij de school" in page.text
    assert sent.status_code == 303
    create = beesd.received[-1]
    assert create["type"] == "Create"
    reactie = create["object"]
    assert reactie["type"] == ["Note", "Reactie"]
    assert reactie["inReplyTo"] == project
    assert reactie["to"] == [beesd.id] and create["to"] == [beesd.id]
    assert "maart" in reactie["content"]
    actor = (await http.get("/actor")).json()
    keys = {m["id"]: m["publicKeyMultibase"] for m in actor["assertionMethod"]}
    assert proofs.verify_document(create, keys.get) == actor["id"] + "#ed25519-key"
    served = await http.get(reactie["id"].removeprefix("http://gemeente.test"))
    assert served.json()["inReplyTo"] == project

    trail = reactions.trail(gemeente_app.state.db.read(), project)
    assert [(r["author"], r["delivery"]) for r in trail] == [("Gerda Smit", "bezorgd")]
    again = await http.get(f"/beheer/reactie?op={project}")
    assert "We leggen het zebrapad in maart aan." in again.text and "bezorgd" in again.text
    kept = beesd.db.one("SELECT document FROM received_objects WHERE type = 'Reactie'")
    assert json.loads(kept["document"])["inReplyTo"] == project


async def test_a_reactie_on_something_unknown_is_a_404(staff):
    http, _token = staff
    response = await http.get("/beheer/reactie?op=http://nergens.test/projecten/x")
    assert response.status_code == 404


async def test_a_gemeentebericht_to_all_kernen(two_kernen, gemeente_app, real_kernen):
    http, _ids = two_kernen
    beesd, heukelum = real_kernen["beesd.test"], real_kernen["heukelum.test"]
    token = _token(await http.get("/beheer/berichten"))

    response = await http.post(
        "/beheer/berichten",
        data={
            "csrf": token,
            "kern": "alle",
            "title": "Wegwerkzaamheden",
            "text": "De dijk is dicht.",
        },
    )
    await gemeente_app.state.federation.deliver()

    assert response.status_code == 303
    for kern in (beesd, heukelum):
        bericht = kern.received[-1]["object"]
        assert bericht["type"] == ["Note", "Gemeentebericht"]
        assert bericht["name"] == "Wegwerkzaamheden"
        assert set(bericht["to"]) == {beesd.id, heukelum.id}
    page = await http.get("/beheer/berichten")
    assert "Wegwerkzaamheden" in page.text and "Alle kernen" in page.text
    log = gemeente_app.state.db.execute("SELECT action FROM audit_log WHERE action LIKE 'bericht%'")
    assert len(log) == 1


async def test_a_bericht_needs_a_title_and_a_known_kern(staff):
    http, token = staff
    response = await http.post(
        "/beheer/berichten", data={"csrf": token, "kern": "77", "title": "", "text": "x"}
    )
    assert response.status_code == 400 and "Vul een titel in" in response.text


async def test_a_reactie_on_a_thema_is_delivered_as_a_reply_and_kept(
    two_kernen, gemeente_app, real_kernen
):
    http, _ids = two_kernen
    beesd = real_kernen["beesd.test"]
    token = _token(await http.get("/beheer"))
    thema = beesd.objects["Verkeer en vervoer"]

    page = await http.get(f"/beheer/reactie?op={thema}")
    sent = await http.post(
        f"/beheer/reactie?op={thema}",
        data={"csrf": token, "text": "We kijken in januari naar de oversteekplaatsen."},
    )
    await gemeente_app.state.federation.deliver()

    assert page.status_code == 200 and "Verkeer en vervoer" in page.text
    assert sent.status_code == 303
    reactie = beesd.received[-1]["object"]
    assert reactie["type"] == ["Note", "Reactie"] and reactie["inReplyTo"] == thema
    again = await http.get(f"/beheer/reactie?op={thema}")
    assert "We kijken in januari naar de oversteekplaatsen." in again.text


async def test_every_reageren_link_on_the_gemeente_pages_leads_to_a_form(two_kernen):
    http, ids = two_kernen
    pages = ["/", "/projecten", "/themas", *(f"/kernen/{i}" for i in ids.values())]
    links = set()
    for path in pages:
        page = await http.get(path)
        assert page.status_code == 200, path
        links |= set(links_with_text(page.text, "Reageren"))

    assert len(links) >= 6  # three projects and three thema's of the two kernen
    for link in sorted(links):
        assert link.startswith("/beheer/reactie?op="), link
        form = await http.get(link)
        assert form.status_code == 200, link
        assert select(form.text, 'form textarea[name="text"]'), link


def _token(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def test_a_reactie_of_only_spaces_is_refused_and_nothing_is_sent(
    two_kernen, gemeente_app, real_kernen
):
    http, _ids = two_kernen
    token = _token(await http.get("/beheer"))
    project = real_kernen["beesd.test"].objects["Zebrapad bij de school"]

    response = await http.post(f"/beheer/reactie?op={project}", data={"csrf": token, "text": "   "})

    assert response.status_code == 400 and "Schrijf een reactie." in response.text
    assert gemeente_app.state.db.scalar("SELECT count(*) FROM gemeente_reacties") == 0


async def test_a_kern_reactie_that_answers_nothing_of_the_gemeente_is_refused(
    two_kernen, gemeente_app, real_kernen
):
    """Hostile input: Beesd's answers are written by hand (a kern's own code answers only what
    the gemeente wrote it), signed with Beesd's real key."""
    http, _ids = two_kernen
    beesd, heukelum = real_kernen["beesd.test"], real_kernen["heukelum.test"]
    token = _token(await http.get("/beheer"))
    project = heukelum.objects["Drempels op de dijk"]
    await http.post(f"/beheer/reactie?op={project}", data={"csrf": token, "text": "Komt eraan."})
    await gemeente_app.state.federation.deliver()
    to_heukelum = reactions.trail(gemeente_app.state.db.read(), project)[0]["object_id"]

    def answer(kern, number, in_reply_to):
        return vocabulary.typed(
            "Reactie",
            id=f"{kern.base}/antwoorden/{number}",
            content="<p>Dank u.</p>",
            inReplyTo=in_reply_to,
            attributedTo=kern.id,
        )

    # Beesd answers the reactie the gemeente sent Heukelum, and a project of its own.
    other_kern = await beesd.push_by_hand(http, answer(beesd, 1, to_heukelum))
    zebrapad = beesd.objects["Zebrapad bij de school"]
    no_reactie = await beesd.push_by_hand(http, answer(beesd, 2, zebrapad))
    # Heukelum answers its own reactie (through its beheer form): that one is kept.
    form = await heukelum.answer(to_heukelum, "Dank u.")

    assert other_kern.status_code == 403 and "not_an_answer" in other_kern.text
    assert no_reactie.status_code == 403
    assert form.done == 1
    answers = gemeente_app.state.db.execute("SELECT reactie_id, about FROM gemeente_kern_answers")
    assert [tuple(a) for a in answers] == [(to_heukelum, project)]
    # Staff see why, in Dutch, on the kern's page.
    page = await http.get(f"/kernen/{_ids['beesd.test']}")
    assert "Een reactie van de kern op iets wat de gemeente haar niet schreef" in page.text
