"""The small section of the thema and project forms that names their partners and roles.

Each partner gets one select, `partner-<id>`: no role, "aan zet" or "helpt". What comes back
is checked against the kern's partners and the fixed roles, so a stale or forged form gives a
Dutch message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from node.db import Database
from node.kern.partners import model as partners
from node.vocabulary import PARTNER_ROLES
from node.web.i18n import _

FIELD_PREFIX = "partner-"


def link_choices(
    db: Database,
    kind: str,
    object_id: int | None,
    formdata: Mapping[str, str] | None = None,
) -> list[dict]:
    """Every partner with the role it has (or that was just submitted) on the object."""
    current = partners.roles_by_partner(db, kind, object_id) if object_id else {}
    rows = partners.list_partners(db)
    choices = []
    for row in rows:
        name = f"{FIELD_PREFIX}{row['id']}"
        role = formdata.get(name, "") if formdata is not None else current.get(row["id"], "")
        choices.append({"id": row["id"], "name": row["name"], "field": name, "role": role})
    return choices


def read_links(choices: list[dict]) -> tuple[dict[int, str], list[str]]:
    """{partner id: role} from submitted choices, and the Dutch errors (empty when valid)."""
    links: dict[int, str] = {}
    errors = []
    for choice in choices:
        role = choice["role"]
        if not role:
            continue
        if role not in PARTNER_ROLES:
            errors.append(_("Kies voor %s een rol uit de lijst.") % choice["name"])
            continue
        links[choice["id"]] = role
    return links, errors
