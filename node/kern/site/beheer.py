"""Beheer of the site's own texts: the group, its contact details and its colours."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, FileField, StringField, TextAreaField, ValidationError
from wtforms.validators import Length, Optional

from federation.store import utcnow
from node.kern.federation import actor as kern_actor
from node.kern.neighbours import model as neighbours
from node.kern.projects import photos
from node.kern.site import images
from node.settings import HEX_COLOUR_RE
from node.web import house_style
from node.web.audit import record_audit
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters, strip_text, valid_email
from node.web.i18n import _
from node.web.templating import flash, render

TEXT = [Optional(), no_control_characters]


def dutch_ratio(ratio: float) -> str:
    """4.4784 -> "4,48", as contrast checkers show it; a refused 4.497 reads 4,49, never 4,50."""
    shown = round(ratio, 2)
    if ratio < house_style.TEXT_CONTRAST <= shown:
        shown = 4.49
    return f"{shown:.2f}".replace(".", ",")


def _hex_colour(form, field) -> None:
    if field.data and not HEX_COLOUR_RE.match(field.data):
        raise ValidationError(_("Vul een kleur in als #1f6f43: een hekje en zes tekens."))


def _accent_readable(form, field) -> None:
    """The accent carries dark text (tokens.css): it must be light enough for it."""
    if not field.data or not HEX_COLOUR_RE.match(field.data):
        return
    ratio = house_style.contrast_ratio(field.data, house_style.DARK)
    if ratio < house_style.TEXT_CONTRAST:
        raise ValidationError(
            _(
                "Donkere tekst is op deze kleur slecht te lezen: de contrastverhouding is "
                "%(ratio)s : 1, en moet minstens 4,5 : 1 zijn. Kies een lichtere kleur."
            )
            % {"ratio": dutch_ratio(ratio)}
        )


IMAGE_TYPES = "image/png,image/jpeg,image/webp"


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
    colour_primary = StringField(_("Hoofdkleur"), [Optional(), _hex_colour], filters=[strip_text])
    colour_primary_text = StringField(
        _("Tekstkleur op de hoofdkleur"), [Optional(), _hex_colour], filters=[strip_text]
    )
    colour_accent = StringField(
        _("Accentkleur"), [Optional(), _hex_colour, _accent_readable], filters=[strip_text]
    )
    # node/kern/neighbours/: read from the gemeente's open API, shown on each thema's page.
    show_other_kernen = BooleanField(_("Laat bij elk thema zien wat andere kernen eraan doen"))
    logo = FileField(_("Logo"), render_kw={"accept": IMAGE_TYPES})
    logo_remove = BooleanField(_("Logo weghalen"))
    header_image = FileField(_("Kopfoto"), render_kw={"accept": IMAGE_TYPES})
    header_image_alt = StringField(
        _("Wat staat er op de kopfoto?"), [*TEXT, Length(max=200)], filters=[strip_text]
    )
    header_image_remove = BooleanField(_("Kopfoto weghalen"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.colour_primary.errors or self.colour_primary_text.errors:
            return valid
        # The pair decides the header and the buttons: text on the main colour must be
        # readable (WCAG 1.4.3, 4.5:1). Left empty, bloei.toml's main colour and white text.
        primary = self.colour_primary.data or self.meta.default_primary
        text = self.colour_primary_text.data or house_style.WHITE
        ratio = house_style.contrast_ratio(primary, text)
        if ratio < house_style.TEXT_CONTRAST:
            self.colour_primary_text.errors = [
                *self.colour_primary_text.errors,
                _(
                    "De tekst is op de hoofdkleur slecht te lezen: de contrastverhouding is "
                    "%(ratio)s : 1, en moet minstens 4,5 : 1 zijn. Kies een donkerdere "
                    "hoofdkleur met witte tekst, of een lichtere met donkere tekst."
                )
                % {"ratio": dutch_ratio(ratio)},
            ]
            return False
        return valid


IMAGE_FIELDS = ("logo", "logo_remove", "header_image", "header_image_remove")


def _form(request: Request, **kwargs) -> SiteForm:
    form = SiteForm(**kwargs)
    form.meta.default_primary = request.app.state.settings.colour_primary
    return form


def _neighbours_state(request: Request) -> dict:
    """Whether the list of other kernen's thema's can be read, for the hint beside the switch."""
    return {
        "gemeente_known": bool(request.app.state.settings.gemeente_actor),
        "neighbours_fetch": neighbours.last_fetch(request.app.state.db.read()),
    }


@login_required("beheerder")
async def site_settings(request: Request) -> Response:
    template = "beheer/site.html"
    site = request.app.state.site()
    if request.method == "GET":
        return render(
            request, template, {"form": _form(request, data=site), **_neighbours_state(request)}
        )
    data, csrf_ok = await read_beheer_form(request, max_files=2)
    try:
        return await _save_site(request, data, csrf_ok)
    finally:
        await data.close()  # the spooled uploads, on disk when large


async def _save_site(request: Request, data: FormData, csrf_ok: bool) -> Response:
    template = "beheer/site.html"
    site = request.app.state.site()
    form = _form(request, formdata=data)
    if not csrf_ok:
        return render(
            request, template, {"form": form, "csrf_error": True, **_neighbours_state(request)}, 400
        )
    valid = form.validate()
    has_header = photos.has_upload(data.get("header_image")) or (
        site.get("header_image") and not form.header_image_remove.data
    )
    if has_header and not form.header_image_alt.data:
        form.header_image_alt.errors = [
            *form.header_image_alt.errors,
            _("Beschrijf in een paar woorden wat er op de kopfoto staat."),
        ]
        valid = False
    if not valid:
        return render(request, template, {"form": form, **_neighbours_state(request)}, 400)
    media_dir = request.app.state.settings.media_dir
    try:
        stored = await _store_images(data, media_dir)
    except RefusedImage as refused:
        form[refused.field].errors = [refused.message]
        return render(request, template, {"form": form, **_neighbours_state(request)}, 400)
    values = {
        field.name: field.data if isinstance(field, BooleanField) else field.data or ""
        for field in form
        if field.name not in IMAGE_FIELDS
    }
    old = {key: site.get(key) or "" for key in ("logo", "header_image")}
    for key in old:
        if key in stored:
            values[key] = stored[key]
        elif getattr(form, f"{key}_remove").data:
            values[key] = ""
    if not values.get("header_image", old["header_image"]):
        values["header_image_alt"] = ""
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

    try:
        db.write(save)
    except BaseException:
        for name in stored.values():
            images.delete_image(media_dir, name)  # nothing points to it
        raise
    # Once the database names the new files, the replaced ones can go.
    for key, name in old.items():
        if name and key in values and values[key] != name:
            images.delete_image(media_dir, name)
    flash(request, _("De gegevens van de site zijn opgeslagen."))
    return RedirectResponse("/beheer/site", status_code=303)


class RefusedImage(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


async def _store_images(data: FormData, media_dir: Path) -> dict[str, str]:
    """Store the uploaded logo and header image; a refused one raises RefusedImage, and
    nothing of this upload is left behind."""
    stored: dict[str, str] = {}
    savers = {"logo": images.save_logo, "header_image": images.save_header_image}
    try:
        for key, saver in savers.items():
            upload = data.get(key)
            if not photos.has_upload(upload):
                continue
            try:
                content = await photos.read_upload(upload)
                stored[key] = await run_in_threadpool(saver, content, media_dir)
            except photos.PhotoError as error:
                raise RefusedImage(key, str(error)) from None
    except BaseException:
        for name in stored.values():
            images.delete_image(media_dir, name)
        raise
    return stored
