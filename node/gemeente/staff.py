"""Staff accounts of the gemeente: node/web/users.py's beheer, with the gemeente's roles.

A kern has beheerders and redacteuren; the gemeente has beheerders (everything, also
accounts) and medewerkers (kernen volgen, ophalen, reacties). users.py picks the roles by
the node's role, so the gemeente only names the routes.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.web import users

HOME = "/beheer/gebruikers"


def routes() -> list[BaseRoute]:
    return [
        Route(HOME, users.user_list),
        Route(HOME + "/nieuw", users.user_add, methods=["GET", "POST"]),
        Route(HOME + "/{user_id:id}", users.user_action, methods=["POST"]),
        Route("/beheer/logboek", users.audit_log),
    ]
