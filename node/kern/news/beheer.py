"""Beheer of the kern's news: write, schedule, change and remove berichten.

The publish time is typed as a wall-clock time in Amsterdam; a time in the future
schedules the bericht. Empty means now.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import DateTimeLocalField, StringField, TextAreaField, ValidationError
from wtforms.validators import Optional

from node.kern.fields import STRIP, at_most
from node.kern.ideas.pages import filled, one_line
from node.kern.news import model as news
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _
from node.web.templating import flash, render

LIST_URL = "/beheer/nieuws"
EARLIEST = datetime(2000, 1, 1)
# Further ahead than this is almost always a typing error in the year.
MAX_AHEAD = timedelta(days=366)


class DutchDateTimeField(DateTimeLocalField):
    """A browser's date-time input, shown back the way the browser sends it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(
                _("Vul een datum en tijd in, bijvoorbeeld 2026-03-01 19:30.")
            ) from None


class NewsForm(BaseForm):
    title = StringField(
        _("Titel"),
        [filled(_("een titel")), at_most(120), no_control_characters],
        filters=[one_line],
    )
    body = TextAreaField(
        _("Tekst"), [filled(_("een tekst")), at_most(20000), no_control_characters], filters=STRIP
    )
    published_at = DutchDateTimeField(_("Publiceren op"), [Optional()])

    def validate_published_at(self, field) -> None:
        if field.data is None:
            return
        if field.data < EARLIEST:
            raise ValidationError(_("Kies een datum na 1 januari 2000."))
        ahead = datetime.fromisoformat(news.from_local(field.data)) - datetime.now(UTC)
        if ahead > MAX_AHEAD:
            raise ValidationError(_("Kies een datum binnen een jaar vanaf nu."))

    def values(self) -> dict:
        moment = self.published_at.data
        return {
            "title": self.title.data,
            "body": self.body.data,
            "published_at": news.from_local(moment) if moment else "",
        }


def _item_or_404(request: Request) -> sqlite3.Row:
    item = news.get_news_by_id(request.app.state.db, request.path_params["news_id"])
    if item is None:
        raise HTTPException(404)
    return item


def _render(request: Request, template: str, context: dict, status: int = 200) -> Response:
    return render(
        request,
        template,
        {"is_scheduled": news.is_scheduled, **context},
        status_code=status,
    )


def _write(request: Request, fn, *args):
    state = request.app.state
    return state.db.write(fn, state.settings, current_user(request), *args)


@login_required()
async def news_list(request: Request) -> Response:
    return _render(request, "beheer/nieuws.html", {"items": news.all_news(request.app.state.db)})


@login_required()
async def news_edit(request: Request) -> Response:
    """New bericht (no id in the path) or change an existing one."""
    item = _item_or_404(request) if "news_id" in request.path_params else None
    template = "beheer/bericht_form.html"
    if request.method == "GET":
        data = None
        if item:
            data = {**dict(item), "published_at": news.to_local(item["published_at"])}
        return _render(request, template, {"form": NewsForm(data=data), "item": item})
    data, csrf_ok = await read_beheer_form(request)
    form = NewsForm(formdata=data)
    if not csrf_ok:
        return _render(request, template, {"form": form, "item": item, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, {"form": form, "item": item}, 400)
    values = form.values()
    if item and not values["published_at"]:
        values["published_at"] = item["published_at"]  # empty keeps the time it had
    slug = _write(request, news.save_news, values, item["id"] if item else None)
    saved = request.app.state.db.one("SELECT * FROM news WHERE slug = ?", (slug,))
    if news.is_scheduled(saved):
        message = _("Het bericht „%s” is opgeslagen en komt op de site op het gekozen moment.")
    else:
        message = _("Het bericht „%s” staat op de site.")
    flash(request, message % form.title.data)
    return RedirectResponse(LIST_URL, status_code=303)


@login_required()
async def news_remove(request: Request) -> Response:
    item = _item_or_404(request)
    template = "beheer/bericht_verwijderen.html"
    if request.method == "GET":
        return _render(request, template, {"item": item})
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(request, template, {"item": item, "csrf_error": True}, 400)
    _write(request, news.remove_news, item["id"])
    flash(request, _("Het bericht „%s” is weggehaald.") % item["title"])
    return RedirectResponse(LIST_URL, status_code=303)
