"""The home page: what is happening now in the kern, with the next meeting on top."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern.agenda import model as agenda
from node.kern.conversation import model as gemeente_messages
from node.kern.ideas import model as ideas
from node.kern.meetings import model as meetings
from node.kern.meetings.pages import HELPERS
from node.kern.news import model as news
from node.kern.projects import model as projects
from node.kern.rendering import page
from node.vocabulary import ACTIVE_PHASES

HOME_PER_PHASE = 5
HOME_THEMAS = 6


async def home(request: Request) -> Response:
    db = request.app.state.db
    upcoming = meetings.list_upcoming(db, limit=4)
    return page(
        request,
        "kern/home.html",
        {
            **HELPERS,
            "next_meeting": meetings.next_meeting(db),
            "upcoming": upcoming,
            # Per active phase its count and five newest, whatever the number of projects.
            "by_phase": projects.phase_overview(db, ACTIVE_PHASES, HOME_PER_PHASE),
            "themas": agenda.list_themas(db, limit=HOME_THEMAS),
            "version": agenda.latest_version(db),
            "updates": projects.latest_updates(db, 5),
            "news": news.latest_news(db, 3),
            "ideas": ideas.published_ideas(db, 3),
            "gemeentebericht": gemeente_messages.latest_bericht(db, request.app.state.settings),
        },
    )
