"""The addresses of the beheer of residents' personal data (beheerders only)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.privacy import beheer


def routes() -> list[BaseRoute]:
    return [
        Route("/beheer/privacy", beheer.privacy_page),
        Route("/beheer/privacy/opruimen", beheer.retention_now, methods=["POST"]),
        Route("/beheer/privacy/zoeken", beheer.person_search, methods=["POST"]),
        Route("/beheer/privacy/export", beheer.person_export, methods=["POST"]),
        Route("/beheer/privacy/verwijderen", beheer.person_delete, methods=["POST"]),
    ]
