"""Every address of a gemeente node, in one explicit list."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.gemeente import (
    actor_pages,
    answer_pages,
    api,
    assignment_pages,
    beheer,
    insight_pages,
    pages,
    staff,
    stop_pages,
)
from node.mail import pages as mail_pages
from node.web import account, account_sessions, numbers, two_step_pages
from node.web.methods import GET_POST


def public_routes() -> list[BaseRoute]:
    return [
        Route("/", pages.overview),
        Route("/kernen/{kern_id:id}", pages.kern_page),
        Route("/projecten", pages.projects_page),
        Route("/themas", pages.themas_page),
        Route("/themas/{categorie}", pages.thema_category_page),
        Route("/partners", pages.partners_page),
        Route("/kalender", pages.calendar_page),
        Route("/kalender.ics", pages.calendar_feed),
        Route("/toegankelijkheid", pages.accessibility_page),
    ]


def account_routes() -> list[BaseRoute]:
    return [
        Route("/beheer/inloggen", account.login, methods=GET_POST),
        Route("/beheer/uitloggen", account.logout, methods=["POST"]),
        Route("/beheer/wachtwoord", account.change_password, methods=GET_POST),
        Route("/beheer/account", account_sessions.account_page),
        Route("/beheer/account/sessies", account_sessions.end_sessions, methods=["POST"]),
        Route(account.NOTICES_PAGE, account.notices, methods=GET_POST),
        Route("/beheer/inloggen/code", two_step_pages.login_code, methods=GET_POST),
        Route("/beheer/account/tweestaps", two_step_pages.setup, methods=GET_POST),
        Route("/beheer/account/tweestaps/uitzetten", two_step_pages.turn_off, methods=["POST"]),
    ]


def gemeente_routes() -> list[BaseRoute]:
    # Ids in paths are `{name:id}`: bounded ASCII digits, so a huge id is a 404.
    numbers.register_convertors()
    return [
        *public_routes(),
        *insight_pages.routes(),
        *account_routes(),
        *beheer.routes(),
        *stop_pages.routes(),
        *answer_pages.routes(),
        *assignment_pages.routes(),
        *staff.routes(),
        *mail_pages.routes(),
        *actor_pages.routes(),
        # Last: its catch-all answers 404 problem+json for anything else under /api/v1.
        *api.routes(),
    ]
