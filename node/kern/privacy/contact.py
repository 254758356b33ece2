"""Who in beheer sees residents' contact details: beheerders only.

The privacy statement promises that only the site's beheerders see residents' e-mail
addresses, phone numbers and messages (RSVPs, volunteers, senders of ideas). A redacteur keeps
names and counts. The pages take the details out of the rows before rendering, so no template
can show what the user may not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from node.web.auth import current_user

RSVP_CONTACT = ("email", "phone")
VOLUNTEER_CONTACT = ("contact", "message")
IDEA_CONTACT = ("contact",)


def sees_contact(request: Request) -> bool:
    """True for a signed-in beheerder."""
    user = current_user(request)
    return user is not None and user.is_beheerder


def visible(request: Request, row: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """`row` as the signed-in user may see it: without `fields` unless a beheerder."""
    shown = dict(row)
    if not sees_contact(request):
        shown.update(dict.fromkeys(fields, ""))
    return shown


def visible_rows(
    request: Request, rows: Iterable[Mapping[str, Any]], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    return [visible(request, row, fields) for row in rows]
