"""Bijeenkomsten: meetings in person, RSVPs and the waiting list, calendars, posters, the
public pages and beheer."""
