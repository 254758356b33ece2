"""Fuzzing the gemeente: no form, query parameter or inbox body yields a 5xx, and nothing
unsigned is stored. The same machinery as the kern's (tests/fuzzing.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from gemeente_helpers import GEMEENTE_URL
from hypothesis import given
from hypothesis import strategies as st

from federation.signatures import sign_cavage
from tests import fuzzing

INBOX = GEMEENTE_URL + "/actor/inbox"


@pytest.fixture
async def gemeente_site(gemeente_app, two_kernen):
    """The gemeente following two kernen, signed in as staff, and its map."""
    http, token = two_kernen
    site = await fuzzing.crawl(gemeente_app, http, ["/", "/beheer", "/beheer/kernen"])
    return http, token, site


async def test_every_form_and_parameter_of_the_gemeente_takes_hostile_numbers(gemeente_site):
    http, token, site = gemeente_site
    posts = {t.path for t in site.targets if t.method == "POST" and t.fields}
    assert "/beheer/kernen" in posts
    assert "kern_id" in site.path_values
    for value in fuzzing.sweep_values():
        for request in fuzzing.sweep(site, token, value):
            response = await fuzzing.send(http, request)
            assert response.status_code < 500, fuzzing.describe(request, response)


@fuzzing.fuzz_settings(fuzzing.EXAMPLES)
@given(data=st.data())
async def test_no_form_or_query_parameter_of_the_gemeente_yields_a_5xx(gemeente_site, data):
    http, token, site = gemeente_site
    request = data.draw(fuzzing.requests(site, token))
    response = await fuzzing.send(http, request)
    assert response.status_code < 500, fuzzing.describe(request, response)


def signed(kern, body: bytes, key_id: str) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_cavage(
            "POST", INBOX, key_id, kern.identity.keys.rsa, body=body, headers=headers,
            now=datetime.now(UTC),
        )
    )  # fmt: skip
    return headers


@fuzzing.fuzz_settings(fuzzing.EXAMPLES)
@given(data=st.data(), signer=st.sampled_from(["beesd", "nobody", "unsigned"]))
async def test_no_inbox_body_yields_a_5xx_and_nothing_unsigned_is_stored(
    gemeente_app, gemeente_db, two_kernen, beesd, data, signer
):
    http, _token = two_kernen

    def template(number: int) -> dict:
        return beesd.publish("Create", beesd.thema(f"fuzz-{number}", "Fuzz"))

    body = data.draw(fuzzing.activity_bodies(template))
    before = fuzzing.table_rows(gemeente_db)
    if signer == "unsigned":
        headers = {"Content-Type": "application/activity+json"}
    else:
        key_id = beesd.identity.main_key_id if signer == "beesd" else beesd.id + "/nobody#key"
        headers = signed(beesd, body, key_id)
    response = await http.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code < 500, (signer, body[:200], response.status_code)
    if signer != "beesd":
        # Too large is refused before anything else; otherwise the signature fails.
        assert response.status_code in (401, 413)
        assert fuzzing.table_rows(gemeente_db) == before
