"""Fetching remote documents: address rules after resolution, dev mode, size cap, redirects."""

import json

import httpx
import pytest
from federation_helpers import (
    NOW,
    PolicedMockTransport,
    RecordingNetwork,
    local_identity,
    resolver,
)

from federation.addresses import AddressPolicy, AddressRefused, is_public_address
from federation.fetch import Fetcher, FetchError
from federation.signatures import verify_request
from federation.transport import checked_client

DOC = {"id": "https://elders.example/actor", "type": "Group"}


def json_response(document=DOC, status=200, **headers):
    return httpx.Response(
        status,
        content=json.dumps(document).encode(),
        headers={"Content-Type": "application/activity+json", **headers},
    )


def fetcher(handler, policy=None, **options):
    policy = policy or AddressPolicy(resolver=resolver())
    client = httpx.AsyncClient(transport=PolicedMockTransport(handler, policy))
    return Fetcher(client, policy, **options)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::",
        "2001:db8::1",
    ],
)
async def test_names_that_resolve_to_private_or_reserved_addresses_are_refused(address):
    log = []
    fetch = fetcher(
        lambda r: log.append(r) or json_response(),
        AddressPolicy(resolver=resolver({"elders.example": [address]})),
    )
    with pytest.raises(FetchError) as caught:
        await fetch.get_json("https://elders.example/actor")
    assert caught.value.reason == "refused" and log == []
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/actor", "https://[::1]/actor", "https://10.0.0.1/"]
)
async def test_address_literals_are_refused_too(url):
    with pytest.raises(AddressRefused):
        await AddressPolicy(resolver=resolver()).check(url)


async def test_one_private_address_among_public_ones_is_enough_to_refuse():
    policy = AddressPolicy(resolver=resolver({"elders.example": ["93.184.216.34", "10.0.0.1"]}))
    with pytest.raises(AddressRefused):
        await policy.check("https://elders.example/actor")


async def test_a_public_address_over_https_is_fetched():
    final, document = await fetcher(lambda r: json_response()).get_json(
        "https://elders.example/actor"
    )
    assert final == "https://elders.example/actor" and document == DOC


@pytest.mark.parametrize("url", ["http://elders.example/actor", "ftp://elders.example/actor"])
async def test_plain_http_is_refused_outside_development_mode(url):
    with pytest.raises(FetchError, match="refused"):
        await fetcher(lambda r: json_response()).get_json(url)


async def test_development_mode_allows_loopback_and_plain_http():
    dev = AddressPolicy(dev=True, resolver=resolver(default="127.0.0.1"))
    final, _ = await fetcher(lambda r: json_response(), dev).get_json("http://127.0.0.1:8002/actor")
    assert final == "http://127.0.0.1:8002/actor"


async def test_a_body_over_the_cap_is_refused_while_streaming():
    big = {"padding": "x" * 2048}

    def handler(request):
        # No Content-Length: the cap must hold while reading.
        return httpx.Response(
            200,
            stream=httpx.ByteStream(json.dumps(big).encode()),
            headers={"Content-Type": "application/activity+json"},
        )

    with pytest.raises(FetchError) as caught:
        await fetcher(handler, max_bytes=1024).get_json("https://elders.example/actor")
    assert caught.value.reason == "too_large"
    final, doc = await fetcher(handler, max_bytes=4096).get_json("https://elders.example/actor")
    assert doc == big


async def test_the_default_cap_is_one_mebibyte():
    def handler(request):
        return json_response({"padding": "x" * (1024 * 1024)})

    with pytest.raises(FetchError, match="too_large"):
        await fetcher(handler).get_json("https://elders.example/actor")


def redirecting(hops, last_document=DOC):
    def handler(request):
        n = int(request.url.params.get("hop", "0"))
        if n < hops:
            return httpx.Response(302, headers={"Location": f"/actor?hop={n + 1}"})
        return json_response(last_document)

    return handler


async def test_two_redirects_are_followed_and_a_third_is_refused():
    final, _ = await fetcher(redirecting(2)).get_json("https://elders.example/actor")
    assert final == "https://elders.example/actor?hop=2"
    with pytest.raises(FetchError) as caught:
        await fetcher(redirecting(3)).get_json("https://elders.example/actor")
    assert caught.value.reason == "redirects"


async def test_every_redirect_hop_is_checked_against_the_address_rules():
    def handler(request):
        return httpx.Response(302, headers={"Location": "https://intern.example/geheim"})

    policy = AddressPolicy(resolver=resolver({"intern.example": ["192.168.0.10"]}))
    with pytest.raises(FetchError, match="refused"):
        await fetcher(handler, policy).get_json("https://elders.example/actor")


async def test_fetches_are_signed_and_ask_for_activity_json():
    identity = local_identity()
    log = []
    fetch = fetcher(
        lambda r: log.append(r) or json_response(), auth=identity.http_auth(clock=lambda: NOW)
    )
    await fetch.get_json("https://elders.example/actor")
    [request] = log
    assert request.headers["accept"].startswith("application/activity+json")
    verified = verify_request(
        "GET",
        "/actor",
        request.headers,
        b"",
        lambda key_id: identity.keys.rsa.public_key(),
        now=NOW,
    )
    assert verified.key_id == identity.main_key_id
    assert verified.covered == ("(request-target)", "host", "date")


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404), "status"),
        (httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"}), "not_json"),
        (
            httpx.Response(200, text="{nope", headers={"Content-Type": "application/json"}),
            "not_json",
        ),
    ],
)
async def test_errors_say_what_went_wrong(response, reason):
    with pytest.raises(FetchError) as caught:
        await fetcher(lambda r: response).get_json("https://elders.example/actor")
    assert caught.value.reason == reason


async def test_network_failures_are_fetch_errors():
    def handler(request):
        raise httpx.ConnectTimeout("slow")

    with pytest.raises(FetchError, match="network"):
        await fetcher(handler).get_json("https://elders.example/actor")


async def test_a_fetch_connects_to_the_address_it_checked_not_a_second_lookup():
    # A DNS server that answers a public address first and 127.0.0.1 after (DNS rebinding)
    lookups = []

    async def rebinding(host, port):
        lookups.append(host)
        return ["93.184.216.34"] if len(lookups) == 1 else ["127.0.0.1"]

    policy = AddressPolicy(resolver=rebinding)
    body = json.dumps(DOC).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nContent-Length: {len(body)}\r\n\r\n"
    network = RecordingNetwork(head.encode() + body)
    fetch = Fetcher(checked_client(lambda: policy, backend=network), policy)

    final, document = await fetch.get_json("https://elders.example/actor")

    assert document == DOC
    assert lookups == ["elders.example"]
    assert network.connected == [("93.184.216.34", 443)]


async def test_a_name_with_one_private_address_is_refused_before_any_connection():
    policy = AddressPolicy(resolver=resolver({"elders.example": ["93.184.216.34", "10.0.0.1"]}))
    network = RecordingNetwork()
    fetch = Fetcher(checked_client(lambda: policy, backend=network), policy)
    with pytest.raises(FetchError, match="refused"):
        await fetch.get_json("https://elders.example/actor")
    assert network.connected == []
