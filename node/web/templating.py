"""Jinja2 with gettext, Dutch dates and sanitised Markdown; `render` builds a page response."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from node.web import i18n, template_gettext
from node.web.auth import current_user
from node.web.csrf import csrf_token
from node.web.feedback import ANCHOR_KEY, anchor_id
from node.web.house_style import house_style_url
from node.web.markdown import render_markdown
from node.web.static_assets import release_assets

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "static"


def create_environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do", template_gettext.LiteralMessages],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    template_gettext.install(env, i18n.translations())
    # Links to static files carry their version, so browsers may keep them a year.
    env.globals["static_url"] = release_assets(STATIC_DIR).url
    env.globals["house_style_url"] = house_style_url
    # Lists show hundreds of dates, mostly the same few, each taking a time-zone conversion
    # and a format; remember them (the text of a date never changes).
    env.filters.update(
        datum=functools.lru_cache(maxsize=4096)(i18n.dutch_date),
        datumtijd=functools.lru_cache(maxsize=4096)(i18n.dutch_datetime),
        euro=i18n.euro,
        markdown=render_markdown,
    )
    return env


def render(
    request: Request,
    template: str,
    context: dict | None = None,
    status_code: int = 200,
    headers: dict | None = None,
) -> HTMLResponse:
    state = request.app.state
    page = {
        "request": request,
        "settings": state.settings,
        "site": state.site(),
        "user": current_user(request),
        "csrf_token": csrf_token(request),
        **_flash_context(request),
        "path": request.url.path,
        "beheer_menu": getattr(state, "beheer_menu", ()),
        # Beheer asks it whether the disk is nearly full (templates/beheer/_layout.html).
        "disk_watch": getattr(state, "disk_watch", None),
    }
    page.update(context or {})
    html = state.templates.get_template(template).render(page)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def flash(request: Request, message: str, at: str = "", done: bool = False) -> None:
    """A one-line confirmation shown on the next page ("Het project is opgeslagen.").

    `at` names the feedback spot next to the form that was sent (the `feedback` macro in
    templates/_partials/forms.html, e.g. "steun"); without it the message shows at the top
    of the page. Either way the redirect that follows points at it (node/web/feedback.py).
    `done` tells the spot's form that it did its work, so it can show its new state ("U
    steunt dit project") instead of the same button again.
    """
    request.session["flash"] = {"message": message, "at": at, "done": done} if at else message
    request.scope[ANCHOR_KEY] = anchor_id(at)


def _flash_context(request: Request) -> dict:
    """`flash`, the message for the top of the page, or `feedback`, the one for a spot."""
    waiting = request.session.pop("flash", None) if "session" in request.scope else None
    if isinstance(waiting, dict):
        return {"flash": None, "feedback": waiting}
    return {"flash": waiting, "feedback": None}
