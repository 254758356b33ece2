"""Every JSON-LD document the gemeente serves or sends reads cleanly in a strict JSON-LD
processor: its Organization actor, its outbox, reacties and gemeenteberichten, the Follows it
sends the kernen (tests/jsonld/strict.py explains the check)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from gemeente_helpers import FakeKern, follow_kern

from federation import vocabulary
from node.gemeente import actor_pages
from tests.jsonld.strict import official_contexts, problems, require_contexts
from tests.test_jsonld_documents import unread_routes

AS_ACCEPT = {"Accept": "application/activity+json"}


def _token(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def test_every_document_the_gemeente_serves_or_sends_expands_without_loss(
    two_kernen, gemeente_app, real_kernen
):
    require_contexts()
    http, _ids = two_kernen
    beesd = real_kernen["beesd.test"]
    token = _token(await http.get("/beheer"))
    project = beesd.objects["Zebrapad bij de school"]
    await http.post(f"/beheer/reactie?op={project}", data={"csrf": token, "text": "In maart."})
    await http.post(
        "/beheer/berichten",
        data={"csrf": token, "kern": "alle", "title": "Wegwerk", "text": "De dijk is dicht."},
    )
    await gemeente_app.state.federation.deliver()

    documents: dict[str, object] = {}

    async def get(path: str) -> dict:
        response = await http.get(path, headers=AS_ACCEPT)
        assert response.status_code == 200, (path, response.status_code)
        documents[path] = response.json()
        return documents[path]

    served = await http.get(vocabulary.CONTEXT_PATH)
    assert served.headers["content-type"].startswith("application/ld+json")
    assert served.json() == vocabulary.context_document()
    await get(vocabulary.CONTEXT_PATH)
    await get("/actor")
    await get("/actor/followers")
    await get("/actor/following")
    outbox = await get("/actor/outbox")
    items: list[dict] = []
    url = outbox["first"]
    while url:
        page = await get(urlsplit(url)._replace(scheme="", netloc="").geturl())
        items.extend(page["orderedItems"])
        url = page.get("next")
    for item in items:
        await get(urlsplit(item["id"]).path)
        await get(urlsplit(vocabulary.id_of(item["object"])).path)
    for number, sent in enumerate(beesd.received):
        documents[f"sent to beesd {number}"] = sent

    found: dict[str, str] = {}
    for where, document in documents.items():
        for line in problems(document):
            found.setdefault(line.split(": ", 1)[1], f"{where} at {line.split(': ', 1)[0]}")
    assert found == {}, "\n".join(f"{p}: {w}" for p, w in found.items())

    types: set[str] = set()
    for document in documents.values():
        _types(document, types)
    assert {"Organization", "Reactie", "Gemeentebericht", "Follow", "Create"} <= types
    assert unread_routes(actor_pages.routes(), documents) == []


def _types(document, found: set[str]) -> None:
    if isinstance(document, list):
        for item in document:
            _types(item, found)
    elif isinstance(document, dict):
        found.update(vocabulary.types_of(document))
        for key, value in document.items():
            if key != "@context":
                _types(value, found)


class OfficialContexts(httpx.AsyncBaseTransport):
    """The hosts of the official context documents, serving the npm copies by URL."""

    def __init__(self) -> None:
        self.documents = official_contexts()
        self.requested: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requested.append(url)
        if url not in self.documents:
            return httpx.Response(404)
        return httpx.Response(
            200, json=self.documents[url], headers={"Content-Type": "application/ld+json"}
        )


async def test_the_gemeente_reads_a_kerns_proof_key_as_a_json_ld_reader(
    gemeente_app, staff, beesd, heukelum, router
):
    """Fake kernen: Heukelum serves an actor document as Bloei did before, which no kern
    sends today."""
    # Given the context documents can be fetched, and Heukelum still publishes its key under an
    # assertionMethod its context does not define (as Bloei did before), Beesd as it does now.
    require_contexts()
    contexts = OfficialContexts()
    for host in ("www.w3.org", "w3id.org"):
        router.add(host, contexts)
    # The gemeente here runs in development mode, which never fetches contexts; as in
    # production it does, from the hosts the router answers for in process.
    gemeente_app.state.federation.contexts.fetching = True
    old = vocabulary.ACTOR_CONTEXT[:-1] + [
        {k: v for k, v in vocabulary.bloei_context().items() if k != "assertionMethod"}
    ]
    heukelum.document = lambda: {**FakeKern.document(heukelum), "@context": old}
    http, token = staff
    for kern in (beesd, heukelum):
        await follow_kern(gemeente_app, http, token, kern)

    # When each pushes a signed thema.
    answers = {}
    for kern in (beesd, heukelum):
        create = kern.publish("Create", kern.thema("verkeer", "Verkeer"))
        answers[kern.host] = await kern.push(http, create)

    # Then Beesd's proof verifies with the key found in its expanded actor; Heukelum's key is
    # no key to a JSON-LD reader, so its proof cannot be checked and nothing is kept.
    assert answers["beesd.test"].status_code == 202
    assert answers["heukelum.test"].status_code == 403
    assert "unknown_key" in answers["heukelum.test"].text
    assert vocabulary.AS_CONTEXT in contexts.requested
