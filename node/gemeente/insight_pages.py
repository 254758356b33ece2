"""Inzicht as a page (a chart and a table per figure), and as CSV and JSON exports.

GET /inzicht                 every figure: chart and table
GET /inzicht.json            every figure as JSON (columns and rows)
GET /inzicht/{figuur}.json   one figure as JSON
GET /inzicht/{figuur}.csv    one figure as CSV, as Dutch spreadsheets read it (insight_export)
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from federation.store import utcnow
from node import vocabulary
from node.gemeente import charts, insight, insight_export, insight_money
from node.web.i18n import _, euro
from node.web.templating import render


def chart(figure: insight.Figure) -> Markup:
    """The chart that goes with a figure: what its table says, drawn."""
    chart_id = f"grafiek-{figure.key}"
    if figure.key == "fasen":
        rows = [(r["kern"], {p: r[p] for p in vocabulary.PHASES}) for r in figure.rows]
        series = [(p, vocabulary.label(vocabulary.PHASES, p)) for p in vocabulary.PHASES]
        return charts.stacked(chart_id, figure.title, figure.description, rows, series)
    if figure.key in ("lessen", "geld"):
        return Markup("")  # words, or a table to pivot: the table says it all
    if figure.money:
        label_key = figure.columns[0][0]
        items = [(str(r[label_key]), r["toegekend"]) for r in figure.rows]
        return charts.bars(
            chart_id, figure.title, _("Toegekend: ") + figure.description, items, show=euro
        )
    value_key = {
        "evaluaties": "gemiddeld",
        "terugblikken": "metTerugblik",
        "doorlooptijd": "mediaanDagen",
        "afgerond": "afgerond",
        "bijeenkomsten": "gehouden",
        "ideeen": "werdenProject",
        "reactietijd": "mediaanDagen",
    }[figure.key]
    label_key = figure.columns[0][0]
    # No data stays "no data" (drawn as "–"), never a bar that claims zero days.
    items = [(str(r[label_key]), r[value_key]) for r in figure.rows]
    unit = " d" if value_key == "mediaanDagen" else ""
    return charts.bars(chart_id, figure.title, figure.description, items, unit)


def cell(value: Any, money: bool) -> str:
    """A table cell as a Dutch reader expects it: "–" for no data, a decimal comma, euros."""
    if value is None:
        return "–"
    if money and isinstance(value, int):
        return euro(value)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def table(figure: insight.Figure) -> list[list[str]]:
    return [
        [cell(row[key], key in figure.money) for key, _name in figure.columns]
        for row in figure.rows
    ]


def _figures(request: Request) -> list[insight.Figure]:
    conn, now = request.app.state.db.read(), utcnow()
    return insight.all_figures(conn, now) + insight_money.money_figures(conn, now)


def _figure(request: Request) -> insight.Figure:
    key = request.path_params["figuur"]
    figure = next((f for f in _figures(request) if f.key == key), None)
    if figure is None:
        raise HTTPException(404)
    return figure


async def insight_page(request: Request) -> Response:
    return render(
        request,
        "gemeente/inzicht.html",
        {"figures": [(figure, chart(figure), table(figure)) for figure in _figures(request)]},
    )


async def insight_json(request: Request) -> Response:
    body = {figure.key: insight_export.figure_json(figure) for figure in _figures(request)}
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


async def figure_json(request: Request) -> Response:
    return JSONResponse(
        insight_export.figure_json(_figure(request)),
        headers={"Access-Control-Allow-Origin": "*"},
    )


async def insight_csv(request: Request) -> Response:
    figure = _figure(request)
    return Response(
        insight_export.figure_csv(figure),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="inzicht-{figure.key}.csv"'},
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/inzicht", insight_page),
        Route("/inzicht.json", insight_json),
        Route("/inzicht/{figuur}.json", figure_json),
        Route("/inzicht/{figuur}.csv", insight_csv),
    ]
