"""Inzicht as a page (a chart and a table per figure), and as CSV and JSON exports.

GET /inzicht                 every figure: chart and table
GET /inzicht.json            every figure as JSON (columns and rows)
GET /inzicht/{figuur}.csv    one figure as CSV (semicolons, as Dutch spreadsheets expect)
"""

from __future__ import annotations

import csv
import io

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from federation.store import utcnow
from node import vocabulary
from node.gemeente import charts, insight
from node.web.templating import render


def chart(figure: insight.Figure) -> Markup:
    """The chart that goes with a figure: what its table says, drawn."""
    chart_id = f"grafiek-{figure.key}"
    if figure.key == "fasen":
        rows = [(r["kern"], {p: r[p] for p in vocabulary.PHASES}) for r in figure.rows]
        series = [(p, vocabulary.label(vocabulary.PHASES, p)) for p in vocabulary.PHASES]
        return charts.stacked(chart_id, figure.title, figure.description, rows, series)
    if figure.key == "lessen":
        return Markup("")  # words, not numbers: the table says it all
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


async def insight_page(request: Request) -> Response:
    figures = insight.all_figures(request.app.state.db.read(), utcnow())
    return render(
        request,
        "gemeente/inzicht.html",
        {"figures": [(figure, chart(figure)) for figure in figures]},
    )


async def insight_json(request: Request) -> Response:
    figures = insight.all_figures(request.app.state.db.read(), utcnow())
    body = {
        figure.key: {
            "titel": figure.title,
            "uitleg": figure.description,
            "kolommen": [{"sleutel": key, "naam": name} for key, name in figure.columns],
            "rijen": figure.rows,
        }
        for figure in figures
    }
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


async def insight_csv(request: Request) -> Response:
    key = request.path_params["figuur"]
    figures = {f.key: f for f in insight.all_figures(request.app.state.db.read(), utcnow())}
    figure = figures.get(key)
    if figure is None:
        raise HTTPException(404)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([name for _key, name in figure.columns])
    for row in figure.rows:
        writer.writerow(["" if row[k] is None else row[k] for k, _name in figure.columns])
    # A byte order mark, so spreadsheet programs read the Dutch characters right.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="inzicht-{key}.csv"'},
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/inzicht", insight_page),
        Route("/inzicht.json", insight_json),
        Route("/inzicht/{figuur}.csv", insight_csv),
    ]
