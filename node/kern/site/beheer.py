"""Beheer of the site's own texts: the group, its contact details and its colours."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, StringField, TextAreaField, ValidationError
from wtforms.validators import Length, Optional

from federation.store import utcnow
from node.kern.federation import actor as kern_actor
from node.kern.neighbours import model as neighbours
from node.settings import HEX_COLOUR_RE
from node.web.audit import record_audit
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters, strip_text, valid_email
from node.web.i18n import _
from node.web.templating import flash, render

TEXT = [Optional(), no_control_characters]


def _contrast_ratio(hex_a: str, hex_b: str) -> float:
    """WCAG contrast ratio of two colours: text on the kern's colours must stay readable."""

    def luminance(value: str) -> float:
        channels = [int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(hex_a), luminance(hex_b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _colour(white_text: bool):
    def check(form, field) -> None:
        if not field.data:
            return
        if not HEX_COLOUR_RE.match(field.data):
            raise ValidationError(_("Vul een kleur in als #1f6f43: een hekje en zes tekens."))
        against = "#ffffff" if white_text else "#1b1b1b"
        if _contrast_ratio(field.data, against) < 4.5:
            raise ValidationError(
                _("Deze kleur geeft te weinig contrast met de tekst. Kies een donkerdere kleur.")
                if white_text
                else _("Deze kleur geeft te weinig contrast met de tekst. Kies een lichtere kleur.")
            )

    return check


class SiteForm(BaseForm):
    group_name = StringField(_("Naam van de groep"), [*TEXT, Length(max=100)], filters=[strip_text])
    group_description = TextAreaField(
        _("Over de groep"), [*TEXT, Length(max=5000)], filters=[strip_text]
    )
    home_title = StringField(
        _("Kop op de startpagina"), [*TEXT, Length(max=120)], filters=[strip_text]
    )
    home_intro = TextAreaField(
        _("Tekst op de startpagina"), [*TEXT, Length(max=600)], filters=[strip_text]
    )
    contact_email = StringField(
        _("E-mailadres"), [*TEXT, Length(max=200), valid_email], filters=[strip_text]
    )
    contact_phone = StringField(_("Telefoonnummer"), [*TEXT, Length(max=40)], filters=[strip_text])
    contact_address = StringField(
        _("Adres of ontmoetingsplek"), [*TEXT, Length(max=200)], filters=[strip_text]
    )
    colour_primary = StringField(
        _("Hoofdkleur"), [Optional(), _colour(white_text=True)], filters=[strip_text]
    )
    colour_accent = StringField(
        _("Accentkleur"), [Optional(), _colour(white_text=False)], filters=[strip_text]
    )
    # node/kern/neighbours/: read from the gemeente's open API, shown on each thema's page.
    show_other_kernen = BooleanField(_("Laat bij elk thema zien wat andere kernen eraan doen"))


FIELDS = [name for name in SiteForm.__dict__ if not name.startswith("_") and name not in ("Meta",)]


def _neighbours_state(request: Request) -> dict:
    """Whether the list of other kernen's thema's can be read, for the hint beside the switch."""
    return {
        "gemeente_known": bool(request.app.state.settings.gemeente_actor),
        "neighbours_fetch": neighbours.last_fetch(request.app.state.db.read()),
    }


@login_required("beheerder")
async def site_settings(request: Request) -> Response:
    template = "beheer/site.html"
    if request.method == "GET":
        return render(
            request,
            template,
            {"form": SiteForm(data=request.app.state.site()), **_neighbours_state(request)},
        )
    data, csrf_ok = await read_beheer_form(request)
    form = SiteForm(formdata=data)
    if not csrf_ok:
        return render(
            request, template, {"form": form, "csrf_error": True, **_neighbours_state(request)}, 400
        )
    if not form.validate():
        return render(request, template, {"form": form, **_neighbours_state(request)}, 400)
    values = {
        field.name: field.data if isinstance(field, BooleanField) else field.data or ""
        for field in form
    }
    me = current_user(request)
    settings, db = request.app.state.settings, request.app.state.db

    def save(conn) -> None:
        for key, value in values.items():
            conn.execute(
                "INSERT OR REPLACE INTO site (key, value) VALUES (?, ?)",
                (key, json.dumps(value, ensure_ascii=False)),
            )
        record_audit(conn, me, "site.update", "Site", "", ", ".join(sorted(values)))
        # The group's name and description are the actor's: followers hear of a change.
        kern_actor.announce_profile_change(
            conn, settings, request.app.state.federation.publisher, utcnow()
        )

    db.write(save)
    flash(request, _("De gegevens van de site zijn opgeslagen."))
    return RedirectResponse("/beheer/site", status_code=303)
