"""Money across kernen on Inzicht: per source, per kern and per year, as page, CSV and JSON.

The projects come from the kern's own serializer (FakeKern uses as_objects), with budgets as
a kern publishes them: euro cents, a source of the fixed list or "anders" with words."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from gemeente_helpers import follow_kern
from markup import select, texts


def budget(requested=None, granted=None, bron=None, anders=None) -> dict:
    found = {"aangevraagd": requested, "toegekend": granted, "bron": bron, "bronAnders": anders}
    return {"type": "Budget", **{k: v for k, v in found.items() if v is not None}, "valuta": "EUR"}


async def publish(http, kern, slug: str, money: dict, start: str | None) -> None:
    project = kern.project(slug, budget=money, startdatum=start)
    assert (await kern.push(http, kern.publish("Create", project))).status_code == 202


def read_back(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline=""), delimiter=";"))


async def test_money_per_source_kern_and_year(gemeente_app, staff, beesd, heukelum):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    await follow_kern(gemeente_app, http, token, heukelum)
    await publish(http, beesd, "speeltuin", budget(500000, 450050, "kernenbudget"), "2024-03-01")
    await publish(
        http, beesd, "bankjes", budget(20000, 20000, "anders", "Dorpsmarkt"), "2026-02-01"
    )
    await publish(http, heukelum, "dijkpad", budget(300000, None, "provincie"), "2024-09-01")
    # From before the sources: amounts without a source still add up, under "onbekend".
    await publish(http, heukelum, "oud", budget(10000, 5000), "2025-05-05")
    # A hostile or broken kern: a negative amount counts as no amount.
    await publish(http, heukelum, "raar", budget(-900, None, "fonds"), "2025-01-01")
    # No money at all: left out.
    await publish(http, beesd, "zonder-geld", budget(), "2025-01-01")

    figures = (await http.get("/inzicht.json")).json()

    by_source = {r["bron"]: r for r in figures["geld-per-bron"]["rijen"]}
    assert by_source["Kernenbudget"] == {
        "bron": "Kernenbudget",
        "projecten": 1,
        "gevraagd": 500000,
        "toegekend": 450050,
    }
    assert by_source["Provincie"]["gevraagd"] == 300000 and by_source["Provincie"]["toegekend"] == 0
    assert by_source["Anders"]["toegekend"] == 20000
    assert by_source["Bron onbekend"]["projecten"] == 1
    assert by_source["Fonds of subsidie"] == {
        "bron": "Fonds of subsidie",
        "projecten": 0,
        "gevraagd": 0,
        "toegekend": 0,
    }
    assert by_source["Leefbaarheidsbudget"]["projecten"] == 0, "every listed source is shown"
    by_kern = {r["kern"]: r for r in figures["geld-per-kern"]["rijen"]}
    assert by_kern["Beesd"]["gevraagd"] == 520000 and by_kern["Beesd"]["toegekend"] == 470050
    assert by_kern["Heukelum"]["gevraagd"] == 310000 and by_kern["Heukelum"]["projecten"] == 2
    years = figures["geld-per-jaar"]["rijen"]
    now = datetime.now(UTC).year
    assert [r["jaar"] for r in years] == [str(y) for y in range(2024, now + 1)]
    assert {r["jaar"]: r["gevraagd"] for r in years}["2024"] == 800000
    assert {r["jaar"]: r["projecten"] for r in years}["2025"] == 1
    detail = figures["geld"]
    assert [c["sleutel"] for c in detail["kolommen"] if c.get("eenheid") == "cent"] == [
        "gevraagd",
        "toegekend",
    ]
    market = next(r for r in detail["rijen"] if r["bron"] == "Anders")
    assert market == {
        "jaar": "2026",
        "kern": "Beesd",
        "bron": "Anders",
        "toelichting": "Dorpsmarkt",
        "projecten": 1,
        "gevraagd": 20000,
        "toegekend": 20000,
    }

    exported = read_back((await http.get("/inzicht/geld-per-bron.csv")).text)
    row = next(r for r in exported if r["Bron"] == "Kernenbudget")
    assert row == {
        "Bron": "Kernenbudget",
        "Projecten": "1",
        "Gevraagd (euro)": "5000,00",
        "Toegekend (euro)": "4500,50",
    }
    assert float(row["Toegekend (euro)"].replace(",", ".")) * 100 == 450050
    detail_csv = read_back((await http.get("/inzicht/geld.csv")).text)
    assert {r["Toelichting bij anders"] for r in detail_csv} >= {"Dorpsmarkt", ""}

    page = (await http.get("/inzicht")).text
    assert select(page, '#grafiek-geld-per-bron[role="img"]')
    cells = texts(page, 'section[aria-labelledby="geld-per-kern"] td')
    assert "€\xa04.700,50" in cells or "€ 4.700,50" in cells


async def test_no_money_yet_says_so(gemeente_app, staff, beesd):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)

    figures = (await http.get("/inzicht.json")).json()

    assert figures["geld-per-bron"]["rijen"] == []
    assert figures["geld-per-jaar"]["rijen"] == [] and figures["geld"]["rijen"] == []
