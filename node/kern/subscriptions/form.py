"""The form to follow the kern by e-mail, on its own page and on the news, meetings and
project pages (all with the prefix "volgen", so its ids never clash with another form)."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, RadioField
from wtforms.validators import AnyOf, DataRequired, InputRequired, ValidationError

from node.email_address import is_email_address
from node.kern.fields import STRIP, at_most
from node.kern.subscriptions import model
from node.web.forms import BaseForm
from node.web.i18n import _

PREFIX = "volgen"


def _valid_email(form, field) -> None:
    if field.data and not is_email_address(field.data):
        raise ValidationError(_("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."))


class SubscribeForm(BaseForm):
    email = EmailField(
        _("Uw e-mailadres"),
        [
            DataRequired(message=_("Vul uw e-mailadres in.")),
            at_most(model.MAX_EMAIL),
            _valid_email,
        ],
        filters=STRIP,
        render_kw={"autocomplete": "email"},
    )
    frequency = RadioField(
        _("Hoe vaak wilt u mail?"),
        [
            InputRequired(message=_("Kies hoe vaak u mail wilt krijgen.")),
            AnyOf(list(model.FREQUENCIES), message=_("Kies hoe vaak u mail wilt krijgen.")),
        ],
        choices=list(model.FREQUENCIES.items()),
        default="direct",
        # The Dutch message above instead of WTForms' general one.
        validate_choice=False,
    )
    topic = HiddenField(default="nieuws")
    project = HiddenField(default="")
    # A field people never see: bots fill it in, and are then quietly refused.
    website = HiddenField()


def subscribe_form(topic: str = "nieuws", project: str = "", formdata=None) -> SubscribeForm:
    form = SubscribeForm(formdata=formdata, prefix=PREFIX)
    if formdata is None:
        form.topic.data = topic
        form.project.data = project
    return form
