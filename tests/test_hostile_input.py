"""Numbers and bodies nobody should send, on a kern: each answers 4xx, never 500.

One test per cause that used to end in a 500: Unicode digits (`"²".isdigit()` is true),
digit strings over Python's 4,300-digit limit for int(), ids past SQLite's 64-bit integers,
NaN and Infinity as amounts, and a JSON body nested 100,000 levels deep in the inbox. And the
500 page itself: with the security headers, logged once with a request id.
"""

from __future__ import annotations

import argparse
import json
import logging
from decimal import Decimal

import httpx
import pytest
from starlette.routing import Route

from federation import delivery, followers
from federation.addresses import AddressPolicy
from federation.boundedjson import MAX_DEPTH, loads, nests_deeper_than
from federation.signatures import digest_header
from node.commands.common import port_number
from node.kern.projects import model as projects
from node.web.middleware import SECURITY_HEADERS
from node.web.numbers import parse_amount, parse_id, parse_int
from tests.federation.federation_helpers import resolver
from tests.helpers import add_project
from tests.test_federation_web import ANNA, FakeServers, mastodon_follow, signed_by

UNICODE_DIGITS = ["²", "٣", "１", "߁"]
HUGE = "9" * 5000
PAST_SQLITE = str(2**63)


@pytest.fixture
def servers(app) -> FakeServers:
    fake = FakeServers()
    app.state.federation.use_transport(httpx.MockTransport(fake.handler))
    app.state.federation.policy = AddressPolicy(resolver=resolver())
    return fake


# --- the rule itself ------------------------------------------------------------------------


def test_numbers_from_outside_are_ascii_bounded_and_finite():
    assert parse_int("12", 1, 100) == 12
    for text in [*UNICODE_DIGITS, HUGE, "1e3", " 1", "+1", "", "0x10", "1_000"]:
        assert parse_int(text, 0, 10**9) is None, text
    assert parse_int("101", 1, 100) is None
    assert parse_id(PAST_SQLITE) is None and parse_id("0") is None
    assert parse_amount("1500.50") == Decimal("1500.5")
    assert parse_amount(".50") == Decimal("0.5")
    for text in ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "1.505", "٣", HUGE]:
        assert parse_amount(text) is None, text


# --- pages and the API ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [*UNICODE_DIGITS, HUGE])
@pytest.mark.parametrize("path", ["/projecten", "/bijeenkomsten", "/nieuws"])
async def test_a_page_number_that_is_no_number_is_a_message(client, path, value):
    response = await client.get(path, params={"pagina": value})
    assert response.status_code in (400, 404), response.status_code
    assert "Dit paginanummer bestaat niet." in response.text


@pytest.mark.parametrize("value", [*UNICODE_DIGITS, HUGE])
@pytest.mark.parametrize("path", ["/beheer/logboek", "/beheer/bijeenkomsten"])
async def test_beheer_page_numbers_that_are_no_numbers_are_refused_or_ignored(admin, path, value):
    client, _csrf = admin
    response = await client.get(path, params={"pagina": value})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("value", [*UNICODE_DIGITS, HUGE, PAST_SQLITE])
async def test_api_numbers_that_are_no_numbers_are_a_problem(client, value):
    response = await client.get("/api/v1/projecten", params={"pagina": value})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_content_length_of_thousands_of_digits_is_too_large(client):
    response = await client.post("/beheer/inloggen", headers={"Content-Length": HUGE})
    assert response.status_code == 413


# --- ids in paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [PAST_SQLITE, "9" * 19, HUGE])
async def test_an_id_past_what_sqlite_stores_is_not_found(admin, db, settings, number):
    client, _csrf = admin
    project_id, slug = add_project(db, settings)
    for path in [
        f"/projecten/{slug}/updates/{number}",
        f"/beheer/projecten/{number}",
        f"/beheer/bijeenkomsten/{number}",
        f"/beheer/ideeen/{number}",
    ]:
        response = await client.get(path)
        assert response.status_code == 404, path
    assert (await client.get(f"/beheer/projecten/{project_id}")).status_code == 200


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "٣٠٠"])
async def test_an_amount_that_is_no_amount_is_a_message_and_nothing_is_stored(admin, db, amount):
    client, csrf = admin
    form = {
        "csrf": csrf,
        "title": "Bankjes bij de kerk",
        "summary": "Drie nieuwe bankjes.",
        "phase": "idee",
        "budget_requested": amount,
    }
    response = await client.post("/beheer/projecten/nieuw", data=form)
    assert response.status_code == 400
    assert "Vul een bedrag in euro in" in response.text
    assert projects.count_projects(db, None, None) == 0


# --- the inbox --------------------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_the_depth_check_reads_raw_bytes_and_skips_strings():
    assert not nests_deeper_than(b'{"a": ["[[[[", {"b": "}}}"}]}', 3)
    assert nests_deeper_than(b'{"a": [[1]]}', 2)
    assert nests_deeper_than(DEEP)
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(ValueError):
        loads(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


async def test_a_deep_body_signed_by_a_key_nobody_publishes_is_refused_as_unsigned(
    client, db, servers
):
    # The signature is checked before the body is parsed: no key, no parser.
    headers, body = signed_by(DEEP, key_id="https://mastodon.example/users/nobody#main-key")
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown_key"


async def test_a_deep_body_with_a_valid_signature_is_a_bad_request(client, db, servers):
    headers, body = signed_by(DEEP)
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "too_deep"
    # A follow nested past the limit is refused too; one within it is taken.
    nested = mastodon_follow()
    nested["padding"] = [[[[]]]] * 2
    for _ in range(MAX_DEPTH):
        nested["padding"] = [nested["padding"]]
    headers, body = signed_by(nested)
    assert (await client.post("/actor/inbox", content=body, headers=headers)).status_code == 400
    assert not followers.is_follower(db.read(), "https://mastodon.example/users/anna")
    headers, body = signed_by(mastodon_follow())
    assert (await client.post("/actor/inbox", content=body, headers=headers)).status_code == 202


@pytest.mark.parametrize("value", [2**53, -(2**63), 10**400])
async def test_a_signed_follow_with_a_number_json_cannot_carry_is_a_bad_request(
    client, db, servers, value
):
    # The kern quotes the Follow in its signed Accept: canonical JSON (RFC 8785) cannot sign
    # such a number, so it is refused when read, not when answered.
    follow = {**mastodon_follow(), "extra": [{"n": value}]}
    headers, body = signed_by(json.dumps(follow).encode())
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 400
    assert not followers.is_follower(db.read(), ANNA)


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
async def test_a_signed_follow_with_nan_is_a_bad_request(client, db, servers, token):
    body = json.dumps({**mastodon_follow(), "extra": "X"}).encode().replace(b'"X"', token)
    headers, body = signed_by(body)
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 400
    assert not followers.is_follower(db.read(), ANNA)


def test_json_from_outside_is_i_json():
    assert loads(b'{"n": 9007199254740991, "f": 1.5}') == {"n": 2**53 - 1, "f": 1.5}
    for body in [b"9007199254740992", b"-" + b"9" * 5000, b"NaN", b"[Infinity]", b"1e400"]:
        with pytest.raises(ValueError):
            loads(body)


async def test_a_body_that_is_no_json_from_an_unknown_signer_is_refused_before_parsing(
    client, servers
):
    headers, body = signed_by(b"not json", key_id="https://mastodon.example/users/nobody#k")
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 401


# --- numbers in federation headers and outbox pages -----------------------------------------


@pytest.mark.parametrize("value", [*UNICODE_DIGITS, HUGE])
async def test_an_outbox_page_number_that_is_no_number_is_a_problem(client, value):
    response = await client.get("/actor/outbox", params={"page": "true", "after": value})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


# Header values arrive as Latin-1: "²" is the Unicode digit a header can carry.
@pytest.mark.parametrize("value", ["²", HUGE])
async def test_a_signature_created_that_is_no_number_is_refused(client, servers, value):
    body = b'{"type": "Follow"}'
    headers = {
        "Content-Type": "application/activity+json",
        "Digest": digest_header(body),
        "Signature": f'keyId="{ANNA}#main-key",algorithm="hs2019",'
        f'headers="(request-target) host (created) digest",created="{value}",signature="AAAA"'.encode(
            "latin-1"
        ),
    }
    response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "malformed"


@pytest.mark.parametrize("value", ["²", HUGE, "9" * 12])
def test_a_retry_after_that_is_no_number_is_ignored(value):
    retry_after = value.encode("latin-1")
    outcome = delivery.classify(httpx.Response(503, headers={"Retry-After": retry_after}))
    assert outcome.retry and outcome.retry_after is None
    assert delivery.classify(httpx.Response(503, headers={"Retry-After": "120"})).retry_after


# --- the 500 page -----------------------------------------------------------------------------


async def test_a_500_carries_the_security_headers_and_is_logged_once(app, client, caplog):
    async def broken(request):
        raise RuntimeError("the disk is full")

    app.router.routes.insert(0, Route("/kapot", broken))
    app.router.routes.insert(0, Route("/api/v1/kapot", broken))
    # The client raises what the app raises on: an exception passed on to the server (to be
    # logged a second time there) fails this test before any assertion.
    with caplog.at_level(logging.ERROR):
        page = await client.get("/kapot", headers={"X-Request-ID": "abc-123"})
        api = await client.get("/api/v1/kapot")
    assert page.status_code == api.status_code == 500
    for response in (page, api):
        for name, value in SECURITY_HEADERS:
            assert response.headers[name.decode()] == value.decode()
    assert page.headers["x-request-id"] == "abc-123" and "abc-123" in page.text
    assert api.headers["content-type"].startswith("application/problem+json")
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 2, [r.getMessage() for r in records]
    first = records[0]
    assert first.getMessage() == ("500 GET /kapot request=abc-123 RuntimeError: the disk is full")
    assert first.exc_info is not None
    assert api.headers["x-request-id"] in records[1].getMessage()


# --- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["٣٠٠٠", "8٠٠٠", HUGE, "0", "70000"])
def test_a_port_that_is_no_port_number_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        port_number(text)
    assert port_number("8000") == 8000
