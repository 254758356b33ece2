"""500 residents sign up at once for 100 places, against a real server: exactly 100 get a
place, the rest are on the waiting list, nobody gets an error."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from process_helpers import Node, running

pytestmark = pytest.mark.processes

RESIDENTS = 500
PLACES = 100
# Each resident comes from an address of their own on the loopback range, so the per-address
# limit (which stops one script, not a village) plays no part; 127.0.0.0/8 is all loopback.
ADDRESSES = 50


def source_address(resident: int) -> str:
    return f"127.0.{1 + resident % ADDRESSES}.{1 + resident // ADDRESSES}"


async def sign_up(url: str, slug: str, resident: int) -> int:
    transport = httpx.AsyncHTTPTransport(local_address=source_address(resident))
    async with httpx.AsyncClient(transport=transport, base_url=url, timeout=120) as http:
        response = await http.post(
            f"/bijeenkomsten/{slug}/aanmelden",
            data={"name": f"Bewoner {resident}", "email": "", "phone": "", "people": "1"},
            headers={"Origin": url},
        )
        return response.status_code


def test_five_hundred_at_once_fill_exactly_one_hundred_places(tmp_path):
    with running(Node(tmp_path / "beesd", "Beesd")) as (beesd,):
        day = (datetime.now() + timedelta(days=10)).date().isoformat()
        response = beesd.post(
            "/beheer/bijeenkomsten/nieuw",
            title="Kernavond over de dijk",
            description="Praat mee.",
            day=day,
            starts="19:30",
            ends="21:30",
            place_name="Dorpshuis",
            place_address="Dorpsstraat 1",
            capacity=str(PLACES),
        )
        assert response.status_code == 303, response.text
        ((meeting_id, slug),) = beesd.query("SELECT id, slug FROM meetings")

        async def everyone() -> list[int]:
            return await asyncio.gather(
                *(sign_up(beesd.url, slug, resident) for resident in range(RESIDENTS))
            )

        statuses = asyncio.run(everyone())

        assert sorted(set(statuses)) == [303], {s: statuses.count(s) for s in set(statuses)}
        counts = dict(
            beesd.query(
                "SELECT status, sum(people) FROM rsvps WHERE meeting_id = ? GROUP BY status",
                (meeting_id,),
            )
        )
        assert counts.get("aangemeld") == PLACES
        assert sum(counts.values()) == RESIDENTS
