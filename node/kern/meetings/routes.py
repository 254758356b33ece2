"""The addresses of bijeenkomsten: the public pages, RSVPs, calendars, posters and beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.meetings import evaluation_pages, pages, poster_pages
from node.kern.meetings.beheer import attendees, changes, minutes, planning, series
from node.web.methods import GET_POST

MEETING = "/beheer/bijeenkomsten/{meeting_id:id}"
POSTER = "/bijeenkomsten/{slug}/poster"


def routes() -> list[BaseRoute]:
    return [
        Route("/bijeenkomsten", pages.meetings_page),
        Route("/bijeenkomsten.ics", pages.calendar_feed),
        Route("/bijeenkomsten/{slug}", pages.meeting_page),
        Route("/bijeenkomsten/{slug}/kalender.ics", pages.meeting_calendar),
        Route("/bijeenkomsten/{slug}/aanmelden", pages.sign_up, methods=["POST"]),
        Route("/bijeenkomsten/{slug}/evaluatie", evaluation_pages.evaluate, methods=["POST"]),
        Route("/aanmelding/{token}", pages.personal_page, methods=GET_POST),
        Route("/aanmelding/bevestigen/{token}", pages.confirm_page, methods=GET_POST),
        Route(POSTER, poster_pages.poster_page),
        Route(f"{POSTER}.svg", poster_pages.poster_svg),
        Route(f"{POSTER}.pdf", poster_pages.poster_pdf),
        Route("/beheer/bijeenkomsten", planning.meeting_list),
        Route("/beheer/bijeenkomsten/nieuw", planning.meeting_new, methods=GET_POST),
        Route("/beheer/bijeenkomsten/reeks", series.series_new, methods=GET_POST),
        Route(MEETING, planning.meeting_edit, methods=GET_POST),
        Route(f"{MEETING}/verplaatsen", changes.meeting_move, methods=GET_POST),
        Route(f"{MEETING}/annuleren", changes.meeting_cancel, methods=GET_POST),
        Route(f"{MEETING}/verslag", minutes.minutes_edit, methods=GET_POST),
        Route(f"{MEETING}/verwijderen", changes.meeting_remove, methods=GET_POST),
        Route(f"{MEETING}/aanmeldingen", attendees.attendee_list),
        Route(f"{MEETING}/evaluaties", evaluation_pages.evaluation_list),
        Route(f"{MEETING}/aanmeldingen/afdrukken", attendees.attendee_print),
        Route(f"{MEETING}/aanmeldingen/verwijderen", attendees.attendee_remove, methods=["POST"]),
    ]
