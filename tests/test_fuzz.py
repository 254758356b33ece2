"""Fuzzing a kern: no form, query parameter or inbox body yields a 5xx, and nothing
unsigned is stored.

The routes, forms and parameter names come from the app itself (tests/fuzzing.py). The run
is bounded and deterministic (`derandomize`), so it stays a few seconds in `make test`;
bench/fuzz.py runs the same properties with many more examples.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.addresses import AddressPolicy
from tests import fuzzing
from tests.conftest import login
from tests.federation.federation_helpers import resolver
from tests.helpers import add_project, add_thema
from tests.idea_helpers import add_news, add_published_idea
from tests.meeting_helpers import add_meeting
from tests.test_federation_web import ANNA, FakeServers, mastodon_follow, signed_by


@pytest.fixture
async def kern_site(app, db, settings, client):
    """A kern with one of everything, signed in as beheerder, and its map."""
    thema = add_thema(db, settings)
    project_id, _slug = add_project(db, settings, thema_slugs=[thema])
    add_meeting(db, settings, project_ids=[project_id])
    add_meeting(db, settings, days=-20)
    add_news(db, settings)
    add_published_idea(db, app, settings)
    csrf = await login(client)
    site = await fuzzing.crawl(app, client, ["/", "/beheer", "/beheer/projecten"])
    return client, csrf, site


def test_the_map_covers_the_forms_and_parameters_of_the_kern():
    # The source scan finds the filters pages read, so a new one is fuzzed too.
    names = fuzzing.source_query_names()
    assert {"pagina", "thema", "fase", "q"} <= names


async def test_every_form_and_parameter_of_a_kern_takes_hostile_numbers(kern_site):
    client, csrf, site = kern_site
    # The crawl found the beheer forms, the public ones and real ids to put in paths.
    posts = {t.path for t in site.targets if t.method == "POST" and t.fields}
    assert "/beheer/projecten/nieuw" in posts and "/projecten/{slug}/steun" in posts
    assert "project_id" in site.path_values and "slug" in site.path_values
    for value in fuzzing.sweep_values():
        for request in fuzzing.sweep(site, csrf, value):
            response = await fuzzing.send(client, request)
            assert response.status_code < 500, fuzzing.describe(request, response)


@fuzzing.fuzz_settings(fuzzing.EXAMPLES)
@given(data=st.data())
async def test_no_form_or_query_parameter_of_a_kern_yields_a_5xx(kern_site, data):
    client, csrf, site = kern_site
    request = data.draw(fuzzing.requests(site, csrf))
    response = await fuzzing.send(client, request)
    assert response.status_code < 500, fuzzing.describe(request, response)


# --- the inbox --------------------------------------------------------------------------------


@pytest.fixture
def servers(app) -> FakeServers:
    fake = FakeServers()
    app.state.federation.use_transport(httpx.MockTransport(fake.handler))
    app.state.federation.policy = AddressPolicy(resolver=resolver())
    return fake


@fuzzing.fuzz_settings(fuzzing.EXAMPLES)
@given(
    body=fuzzing.activity_bodies(mastodon_follow),
    signer=st.sampled_from(["anna", "nobody", "unsigned"]),
)
async def test_no_inbox_body_yields_a_5xx_and_nothing_unsigned_is_stored(
    client, db, servers, body, signer
):
    before = fuzzing.table_rows(db)
    if signer == "unsigned":
        headers = {"Content-Type": "application/activity+json"}
    else:
        key_id = f"{ANNA}#main-key" if signer == "anna" else f"{ANNA}/nobody#main-key"
        headers, body = signed_by(body, key_id=key_id)
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code < 500, (signer, body[:200], response.status_code)
    if signer != "anna":
        # Too large is refused before anything else; otherwise the signature fails.
        assert response.status_code in (401, 413)
        assert fuzzing.table_rows(db) == before
