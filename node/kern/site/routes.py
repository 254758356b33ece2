"""The addresses of the site itself: home, about, search, the house style, and its beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.site import beheer, dashboard, home, pages
from node.mail import pages as mail_pages
from node.web.methods import GET_POST


def routes() -> list[BaseRoute]:
    return [
        Route("/", home.home),
        Route("/over", pages.about_page),
        Route("/over/privacy", pages.privacy_page),
        Route("/over/toegankelijkheid", pages.accessibility_page),
        Route("/zoeken", pages.search_page),
        Route("/huisstijl.css", pages.house_style),
        Route("/favicon.ico", pages.favicon),
        Route("/beheer", dashboard.dashboard),
        Route("/beheer/site", beheer.site_settings, methods=GET_POST),
        *mail_pages.routes(),
    ]
