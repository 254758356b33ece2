"""`/.well-known/security.txt` (RFC 9116): where to report a security problem with this node.

The contact is the host's `security_contact` setting (an e-mail address or an https URL), or
else the group's contact address from beheer. A node that has neither answers 404: a
security.txt without a working contact would send a finder nowhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

# RFC 9116 §2.5.5 advises an Expires less than a year ahead; the file is made on each request,
# so it stays fresh for as long as the node runs and is kept up to date.
VALID_FOR = timedelta(days=180)


def contact_uri(security_contact: str, site_contact_email: str) -> str | None:
    """The Contact line's URI: a setting wins over the group's address; None if neither."""
    contact = security_contact.strip() or site_contact_email.strip()
    if not contact:
        return None
    if contact.startswith(("https://", "mailto:")):
        return contact
    return f"mailto:{contact}"


def security_txt(contact: str, public_url: str, now: datetime) -> str:
    expires = (now + VALID_FOR).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires}",
        "Preferred-Languages: nl, en",
    ]
    if public_url.startswith("https://"):
        lines.append(f"Canonical: {public_url.rstrip('/')}/.well-known/security.txt")
    return "\n".join(lines) + "\n"


async def security_txt_route(request: Request) -> Response:
    settings = request.app.state.settings
    site = request.app.state.site()
    contact = contact_uri(settings.security_contact, str(site.get("contact_email") or ""))
    if contact is None:
        return PlainTextResponse("No security contact is set for this node.\n", status_code=404)
    body = security_txt(contact, settings.public_url, datetime.now(UTC))
    return PlainTextResponse(body, headers={"Cache-Control": "max-age=86400"})
