"""Every address of a kern node, in one explicit list."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern import api, pages, participation
from node.kern.beheer import dashboard, site, themas
from node.kern.beheer import projects as beheer_projects
from node.web import account, users

GET_POST = ["GET", "POST"]


def public_routes() -> list[BaseRoute]:
    return [
        Route("/", pages.home),
        Route("/agenda", pages.agenda_page),
        Route("/agenda/themas/{slug}", pages.thema_page),
        Route("/agenda/versies", pages.versions_page),
        Route("/agenda/versies/{slug}", pages.version_page),
        Route("/projecten", pages.projects_page),
        Route("/projecten/{slug}", pages.project_page),
        Route("/projecten/{slug}/updates/{update_id:int}", pages.project_update_link),
        Route("/projecten/{slug}/steun", participation.support, methods=["POST"]),
        Route("/projecten/{slug}/vrijwilliger", participation.volunteer, methods=["POST"]),
        Route("/over", pages.about_page),
        Route("/over/privacy", pages.privacy_page),
        Route("/over/toegankelijkheid", pages.accessibility_page),
        Route("/zoeken", pages.search_page),
        Route("/huisstijl.css", pages.house_style),
        Route("/favicon.ico", pages.favicon),
    ]


def beheer_routes() -> list[BaseRoute]:
    return [
        Route("/beheer/inloggen", account.login, methods=GET_POST),
        Route("/beheer/uitloggen", account.logout, methods=["POST"]),
        Route("/beheer/wachtwoord", account.change_password, methods=GET_POST),
        Route("/beheer/gebruikers", users.user_list),
        Route("/beheer/gebruikers/nieuw", users.user_add, methods=GET_POST),
        Route("/beheer/gebruikers/{user_id:int}", users.user_action, methods=["POST"]),
        Route("/beheer/logboek", users.audit_log),
        Route("/beheer/site", site.site_settings, methods=GET_POST),
        Route("/beheer", dashboard.dashboard),
        Route("/beheer/themas", themas.thema_list),
        Route("/beheer/themas/nieuw", themas.thema_edit, methods=GET_POST),
        Route("/beheer/themas/{thema_id:int}", themas.thema_edit, methods=GET_POST),
        Route("/beheer/themas/{thema_id:int}/verwijderen", themas.thema_remove, methods=GET_POST),
        Route("/beheer/versies/nieuw", themas.version_publish, methods=GET_POST),
        Route("/beheer/projecten", beheer_projects.project_list),
        Route("/beheer/projecten/nieuw", beheer_projects.project_edit, methods=GET_POST),
        Route("/beheer/projecten/{project_id:int}", beheer_projects.project_edit, methods=GET_POST),
        Route(
            "/beheer/projecten/{project_id:int}/fase",
            beheer_projects.phase_change,
            methods=GET_POST,
        ),
        Route(
            "/beheer/projecten/{project_id:int}/updates/nieuw",
            beheer_projects.update_new,
            methods=GET_POST,
        ),
        Route(
            "/beheer/projecten/{project_id:int}/updates/{update_id:int}/verwijderen",
            beheer_projects.update_remove,
            methods=GET_POST,
        ),
        Route(
            "/beheer/projecten/{project_id:int}/foto", beheer_projects.photo_edit, methods=GET_POST
        ),
        Route(
            "/beheer/projecten/{project_id:int}/foto/verwijderen",
            beheer_projects.photo_remove,
            methods=GET_POST,
        ),
        Route("/beheer/projecten/{project_id:int}/vrijwilligers", beheer_projects.volunteer_list),
        Route(
            "/beheer/projecten/{project_id:int}/verwijderen",
            beheer_projects.project_remove,
            methods=GET_POST,
        ),
    ]


def api_routes() -> list[BaseRoute]:
    return api.routes()


def meeting_routes() -> list[BaseRoute]:
    """Bijeenkomsten, RSVPs and their calendars: public and beheer."""
    return []


def idea_and_news_routes() -> list[BaseRoute]:
    """Residents' ideas and the kern's news: public and beheer."""
    return []


def feed_and_poster_routes() -> list[BaseRoute]:
    """The Atom feed and the printable posters."""
    return []


def mail_and_privacy_routes() -> list[BaseRoute]:
    """Beheer of outgoing mail and of residents' personal data."""
    return []


def federation_routes() -> list[BaseRoute]:
    """WebFinger, NodeInfo, the actor, its inbox and outbox, and their beheer."""
    return []


def kern_routes() -> list[BaseRoute]:
    # The API comes last: its catch-all answers 404 problem+json for anything under /api/v1.
    return [
        *public_routes(),
        *beheer_routes(),
        *meeting_routes(),
        *idea_and_news_routes(),
        *feed_and_poster_routes(),
        *mail_and_privacy_routes(),
        *federation_routes(),
        *api_routes(),
    ]
