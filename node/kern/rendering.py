"""How a kern's public pages render: the vocabulary every template reads."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from node.kern.agenda import model as agenda
from node.vocabulary import (
    BUDGET_SOURCES,
    LADDER,
    LADDER_EXPLAINED,
    NEEDS,
    PARTNER_KINDS,
    PARTNER_ROLES,
    PHASE_PATH,
    PHASES,
    PRIORITIES,
    SIDE_PHASES,
    THEMA_STATUSES,
    WHO_ACTS,
    label,
)
from node.web.templating import render

VOCABULARY = {
    "PHASES": PHASES,
    "THEMA_STATUSES": THEMA_STATUSES,
    "WHO_ACTS": WHO_ACTS,
    "PRIORITIES": PRIORITIES,
    "LADDER": LADDER,
    "LADDER_EXPLAINED": LADDER_EXPLAINED,
    "NEEDS": NEEDS,
    "BUDGET_SOURCES": BUDGET_SOURCES,
    "PARTNER_KINDS": PARTNER_KINDS,
    "PARTNER_ROLES": PARTNER_ROLES,
    "PHASE_PATH": PHASE_PATH,
    "SIDE_PHASES": SIDE_PHASES,
    "label": label,
    "actor_label": agenda.actor_label,
    "changed_fields": agenda.changed_fields,
    "loads": json.loads,
}


def page(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    return render(request, template, {**VOCABULARY, **context}, status_code=status_code)
