"""The addresses of following the kern by e-mail: the public form, its links, and beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.subscriptions import beheer, pages
from node.web.methods import GET_POST

# The one-click unsubscribe address: mail programs POST to it from anywhere (RFC 8058), so
# the app's Origin check leaves it alone; the token in the address is what counts.
UNSUBSCRIBE_PREFIX = "/afmelden/"


def routes() -> list[BaseRoute]:
    return [
        Route("/volgen", pages.subscribe_page, methods=GET_POST),
        Route("/volgen/bevestigen/{token}", pages.confirm_page, methods=GET_POST),
        Route(UNSUBSCRIBE_PREFIX + "{token}", pages.unsubscribe_page, methods=GET_POST),
        Route(beheer.LIST_PATH, beheer.subscriber_list),
        Route(
            beheer.LIST_PATH + "/{subscription_id:id}/verwijderen",
            beheer.subscriber_remove,
            methods=["POST"],
        ),
    ]
