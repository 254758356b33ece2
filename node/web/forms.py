"""Forms: WTForms with Dutch messages, and reading a request's form safely.

Every form answers a wrong submission with the page again, every field kept, a message per
field and a summary at the top (see templates/_partials/forms.html).
"""

from __future__ import annotations

import re

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from wtforms import Form, ValidationError
from wtforms.meta import DefaultMeta

from node.email_address import is_email_address
from node.web.i18n import _
from node.web.kept_inputs import render_kept

MAX_FORM_FIELDS = 200
MAX_PART_SIZE = 1024 * 1024
# Control characters other than tab and newlines have no place in any text a person types.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every character str.splitlines() breaks at.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# The <input> types that hold one line; a browser never sends a line break from them.
ONE_LINE_INPUTS = frozenset({"text", "email", "tel", "search", "url"})


class BaseForm(Form):
    class Meta:
        locales = ["nl_NL", "nl"]

        def render_field(self, field, render_kw):
            # Inputs made from the same things are the same HTML (node/web/kept_inputs.py).
            return render_kept(
                field, render_kw, lambda f, kw: DefaultMeta.render_field(self, f, kw)
            )

    def validate(self, extra_validators=None) -> bool:
        """Validate as WTForms does, and refuse a line break in any one-line input: a title or
        a name ends up in mail headers, and only a crafted request can put one there."""
        extra = {name: list(found) for name, found in (extra_validators or {}).items()}
        for field in self:
            if getattr(field.widget, "input_type", None) in ONE_LINE_INPUTS:
                extra.setdefault(field.name, []).append(one_line_only)
        return super().validate(extra)

    def first_error_id(self) -> str | None:
        for field in self:
            if field.errors:
                return field.id
        return None


def strip_text(value):
    """Filter for text fields: trim, normalise newlines, drop control characters."""
    if isinstance(value, str):
        return _CONTROL_RE.sub("", value.replace("\r\n", "\n")).strip()
    return value


def no_control_characters(form, field) -> None:
    if isinstance(field.data, str) and _CONTROL_RE.search(field.data):
        raise ValidationError(_("Deze tekst bevat tekens die niet zijn toegestaan."))


def one_line_only(form, field) -> None:
    if isinstance(field.data, str) and not LINE_BREAKS.isdisjoint(field.data):
        raise ValidationError(_("Schrijf dit op één regel, zonder regeleinde (Enter)."))


def valid_email(form, field) -> None:
    if field.data and not is_email_address(field.data):
        raise ValidationError(_("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."))


async def read_form(request: Request, max_files: int = 0) -> FormData:
    """The submitted form, or a 400 for a malformed body, with limits on fields and sizes."""
    try:
        return await request.form(
            max_files=max_files, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_PART_SIZE
        )
    except HTTPException as error:
        # Starlette's own 400 (too many fields, a part too large) speaks English.
        if error.status_code != 400:
            raise
        raise HTTPException(400, _("Het formulier kon niet worden gelezen.")) from None
    except Exception:
        raise HTTPException(400, _("Het formulier kon niet worden gelezen.")) from None
