"""Every address of a kern node, in one explicit list."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern import (
    answer_pages,
    api,
    atom,
    federation_pages,
    home,
    idea_pages,
    meeting_pages,
    news_pages,
    pages,
    participation,
    poster_pages,
)
from node.kern.beheer import dashboard, site, themas
from node.kern.beheer import federation as beheer_federation
from node.kern.beheer import gemeente as beheer_gemeente
from node.kern.beheer import ideas as beheer_ideas
from node.kern.beheer import mail as beheer_mail
from node.kern.beheer import news as beheer_news
from node.kern.beheer import privacy as beheer_privacy
from node.kern.beheer import projects as beheer_projects
from node.kern.beheer.meetings import attendees as meeting_attendees
from node.kern.beheer.meetings import changes as meeting_changes
from node.kern.beheer.meetings import minutes as meeting_minutes
from node.kern.beheer.meetings import planning as meeting_planning
from node.kern.beheer.meetings import series as meeting_series
from node.web import account, account_sessions, numbers, two_step_pages, users

GET_POST = ["GET", "POST"]


def public_routes() -> list[BaseRoute]:
    return [
        Route("/", home.home),
        Route("/agenda", pages.agenda_page),
        Route("/agenda/themas/{slug}", pages.thema_page),
        Route("/agenda/versies", pages.versions_page),
        Route("/agenda/versies/{slug}", pages.version_page),
        Route("/projecten", pages.projects_page),
        Route("/projecten/{slug}", pages.project_page),
        Route("/projecten/{slug}/updates/{update_id:id}", pages.project_update_link),
        Route("/projecten/{slug}/steun", participation.support, methods=["POST"]),
        Route("/projecten/{slug}/vrijwilliger", participation.volunteer, methods=["POST"]),
        Route("/gemeente", pages.gemeente_page),
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
        Route("/beheer/account", account_sessions.account_page),
        Route("/beheer/account/sessies", account_sessions.end_sessions, methods=["POST"]),
        Route("/beheer/inloggen/code", two_step_pages.login_code, methods=GET_POST),
        Route("/beheer/account/tweestaps", two_step_pages.setup, methods=GET_POST),
        Route("/beheer/account/tweestaps/uitzetten", two_step_pages.turn_off, methods=["POST"]),
        Route("/beheer/gebruikers", users.user_list),
        Route("/beheer/gebruikers/nieuw", users.user_add, methods=GET_POST),
        Route("/beheer/gebruikers/{user_id:id}", users.user_action, methods=["POST"]),
        Route("/beheer/logboek", users.audit_log),
        Route("/beheer/site", site.site_settings, methods=GET_POST),
        Route("/beheer", dashboard.dashboard),
        Route("/beheer/themas", themas.thema_list),
        Route("/beheer/themas/nieuw", themas.thema_edit, methods=GET_POST),
        Route("/beheer/themas/{thema_id:id}", themas.thema_edit, methods=GET_POST),
        Route("/beheer/themas/{thema_id:id}/verwijderen", themas.thema_remove, methods=GET_POST),
        Route("/beheer/versies/nieuw", themas.version_publish, methods=GET_POST),
        Route("/beheer/projecten", beheer_projects.project_list),
        Route("/beheer/projecten/nieuw", beheer_projects.project_edit, methods=GET_POST),
        Route("/beheer/projecten/{project_id:id}", beheer_projects.project_edit, methods=GET_POST),
        Route(
            "/beheer/projecten/{project_id:id}/fase",
            beheer_projects.phase_change,
            methods=GET_POST,
        ),
        Route(
            "/beheer/projecten/{project_id:id}/updates/nieuw",
            beheer_projects.update_new,
            methods=GET_POST,
        ),
        Route(
            "/beheer/projecten/{project_id:id}/updates/{update_id:id}/verwijderen",
            beheer_projects.update_remove,
            methods=GET_POST,
        ),
        Route(
            "/beheer/projecten/{project_id:id}/foto", beheer_projects.photo_edit, methods=GET_POST
        ),
        Route(
            "/beheer/projecten/{project_id:id}/foto/verwijderen",
            beheer_projects.photo_remove,
            methods=GET_POST,
        ),
        Route("/beheer/projecten/{project_id:id}/vrijwilligers", beheer_projects.volunteer_list),
        Route(
            "/beheer/projecten/{project_id:id}/verwijderen",
            beheer_projects.project_remove,
            methods=GET_POST,
        ),
    ]


def api_routes() -> list[BaseRoute]:
    return api.routes()


def meeting_routes() -> list[BaseRoute]:
    """Bijeenkomsten, RSVPs and their calendars: public and beheer."""
    return [
        Route("/bijeenkomsten", meeting_pages.meetings_page),
        Route("/bijeenkomsten.ics", meeting_pages.calendar_feed),
        Route("/bijeenkomsten/{slug}", meeting_pages.meeting_page),
        Route("/bijeenkomsten/{slug}/kalender.ics", meeting_pages.meeting_calendar),
        Route("/bijeenkomsten/{slug}/aanmelden", meeting_pages.sign_up, methods=["POST"]),
        Route("/aanmelding/{token}", meeting_pages.personal_page, methods=GET_POST),
        Route("/aanmelding/bevestigen/{token}", meeting_pages.confirm_page, methods=GET_POST),
        Route("/beheer/bijeenkomsten", meeting_planning.meeting_list),
        Route("/beheer/bijeenkomsten/nieuw", meeting_planning.meeting_new, methods=GET_POST),
        Route("/beheer/bijeenkomsten/reeks", meeting_series.series_new, methods=GET_POST),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}",
            meeting_planning.meeting_edit,
            methods=GET_POST,
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/verplaatsen",
            meeting_changes.meeting_move,
            methods=GET_POST,
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/annuleren",
            meeting_changes.meeting_cancel,
            methods=GET_POST,
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/verslag",
            meeting_minutes.minutes_edit,
            methods=GET_POST,
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/verwijderen",
            meeting_changes.meeting_remove,
            methods=GET_POST,
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/aanmeldingen", meeting_attendees.attendee_list
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/aanmeldingen/afdrukken",
            meeting_attendees.attendee_print,
        ),
        Route(
            "/beheer/bijeenkomsten/{meeting_id:id}/aanmeldingen/verwijderen",
            meeting_attendees.attendee_remove,
            methods=["POST"],
        ),
    ]


def idea_and_news_routes() -> list[BaseRoute]:
    """Residents' ideas and the kern's news: public and beheer."""
    idea = "/beheer/ideeen/{idea_id:id}"
    return [
        Route("/ideeen", idea_pages.idea_list),
        # Before /ideeen/{slug}: "nieuw" is never given to an idea as its slug.
        Route("/ideeen/nieuw", idea_pages.idea_new, methods=GET_POST),
        Route("/ideeen/status/{token}", idea_pages.idea_status),
        Route("/ideeen/{slug}", idea_pages.idea_page),
        Route("/ideeen/{slug}/steun", idea_pages.support, methods=["POST"]),
        Route("/nieuws", news_pages.news_list),
        Route("/nieuws/{slug}", news_pages.news_item),
        Route("/beheer/ideeen", beheer_ideas.idea_list),
        Route(idea, beheer_ideas.idea_detail),
        Route(f"{idea}/publiceren", beheer_ideas.idea_publish, methods=["POST"]),
        Route(f"{idea}/antwoord", beheer_ideas.idea_answer, methods=["POST"]),
        Route(f"{idea}/afwijzen", beheer_ideas.idea_decline, methods=["POST"]),
        Route(f"{idea}/project", beheer_ideas.idea_make_project, methods=["POST"]),
        Route(f"{idea}/verwijderen", beheer_ideas.idea_remove, methods=GET_POST),
        Route("/beheer/nieuws", beheer_news.news_list),
        Route("/beheer/nieuws/nieuw", beheer_news.news_edit, methods=GET_POST),
        Route("/beheer/nieuws/{news_id:id}", beheer_news.news_edit, methods=GET_POST),
        Route("/beheer/nieuws/{news_id:id}/verwijderen", beheer_news.news_remove, methods=GET_POST),
    ]


def feed_and_poster_routes() -> list[BaseRoute]:
    """The Atom feed and the printable posters."""
    poster = "/bijeenkomsten/{slug}/poster"
    return [
        Route("/feed.atom", atom.feed),
        Route(poster, poster_pages.poster_page),
        Route(f"{poster}.svg", poster_pages.poster_svg),
        Route(f"{poster}.pdf", poster_pages.poster_pdf),
    ]


def mail_and_privacy_routes() -> list[BaseRoute]:
    """Beheer of outgoing mail and of residents' personal data."""
    return [
        Route("/beheer/mail", beheer_mail.mail_page),
        Route("/beheer/mail/test", beheer_mail.test_mail, methods=["POST"]),
        Route("/beheer/mail/{mail_id:id}/opnieuw", beheer_mail.retry_mail, methods=["POST"]),
        Route("/beheer/privacy", beheer_privacy.privacy_page),
        Route("/beheer/privacy/opruimen", beheer_privacy.retention_now, methods=["POST"]),
        Route("/beheer/privacy/zoeken", beheer_privacy.person_search, methods=["POST"]),
        Route("/beheer/privacy/export", beheer_privacy.person_export, methods=["POST"]),
        Route("/beheer/privacy/verwijderen", beheer_privacy.person_delete, methods=["POST"]),
    ]


def federation_routes() -> list[BaseRoute]:
    """WebFinger, NodeInfo, the actor, its inbox and outbox, and their beheer."""
    return [
        *federation_pages.routes(),
        *beheer_federation.routes(),
        *beheer_gemeente.routes(),
        *answer_pages.routes(),
    ]


def kern_routes() -> list[BaseRoute]:
    # Ids in paths are `{name:id}`: bounded ASCII digits, so a huge id is a 404.
    numbers.register_convertors()
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
