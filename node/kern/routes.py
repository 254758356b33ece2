"""Every address of a kern node: each feature's own list, assembled in one place."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.agenda import routes as agenda
from node.kern.api import atom, endpoints
from node.kern.conversation import routes as conversation
from node.kern.federation import routes as federation
from node.kern.ideas import routes as ideas
from node.kern.learning import routes as learning
from node.kern.meetings import routes as meetings
from node.kern.news import routes as news
from node.kern.partners import routes as partners
from node.kern.privacy import routes as privacy
from node.kern.projects import routes as projects
from node.kern.site import routes as site
from node.kern.subscriptions import routes as subscriptions
from node.web import account, account_sessions, numbers, two_step_pages, users
from node.web.methods import GET_POST


def account_routes() -> list[BaseRoute]:
    """Signing in and out, one's own account, and the users of the node (from node/web)."""
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
        Route("/beheer/gebruikers", users.user_list),
        Route("/beheer/gebruikers/nieuw", users.user_add, methods=GET_POST),
        Route("/beheer/gebruikers/{user_id:id}", users.user_action, methods=["POST"]),
        Route("/beheer/logboek", users.audit_log),
    ]


def kern_routes() -> list[BaseRoute]:
    # Ids in paths are `{name:id}`: bounded ASCII digits, so a huge id is a 404.
    numbers.register_convertors()
    return [
        # First: none of the other routes matches these, and peers ask them most (node/kern/
        # federation/routes.py); tests/test_route_order.py keeps both true.
        *federation.peer_routes(),
        *site.routes(),
        *account_routes(),
        *agenda.routes(),
        *projects.routes(),
        *meetings.routes(),
        *ideas.routes(),
        *news.routes(),
        *partners.routes(),
        *conversation.routes(),
        *privacy.routes(),
        *learning.routes(),
        *subscriptions.routes(),
        *federation.beheer_routes(),
        Route("/feed.atom", atom.feed),
        # Last: the API's catch-all answers 404 problem+json for anything under /api/v1.
        *endpoints.routes(),
    ]
