"""The forms of the kernagenda: a thema, and publishing a version."""

from __future__ import annotations

from wtforms import (
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    Optional,
)

from node.kern.fields import (
    STRIP,
    at_most,
    choice_validator,
    chosen,
    required,
)
from node.vocabulary import (
    PRIORITIES,
    THEMA_STATUSES,
    WHO_ACTS,
    choices,
)
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _


class ThemaForm(BaseForm):
    title = StringField(
        _("Titel"), [required(_("een titel")), at_most(120), no_control_characters], filters=STRIP
    )
    description = TextAreaField(
        _("Beschrijving"), [Optional(), at_most(5000), no_control_characters], filters=STRIP
    )
    priority = SelectField(
        _("Prioriteit"),
        choices=choices(PRIORITIES),
        validators=[chosen(_("een prioriteit"))],
        validate_choice=False,
    )
    status = SelectField(
        _("Status"),
        choices=choices(THEMA_STATUSES),
        validators=[chosen(_("een status"))],
        validate_choice=False,
    )
    actor = SelectField(
        _("Wie is aan zet"),
        choices=choices(WHO_ACTS),
        validators=[chosen(_("wie aan zet is"))],
        validate_choice=False,
    )
    actor_other = StringField(
        _("Welke andere partij"), [Optional(), at_most(120), no_control_characters], filters=STRIP
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.validators.append(choice_validator(_("Kies een prioriteit uit de lijst.")))
        self.status.validators.append(choice_validator(_("Kies een status uit de lijst.")))
        self.actor.validators.append(choice_validator(_("Kies uit de lijst wie aan zet is.")))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here, not as a field validator: Optional() stops a field's own chain.
        if self.actor.data == "anderen" and not self.actor_other.data:
            self.actor_other.errors = [
                *self.actor_other.errors,
                _("Schrijf op welke partij aan zet is, bijvoorbeeld de provincie."),
            ]
            valid = False
        return valid

    def values(self) -> dict:
        data = {
            k: self[k].data or ""
            for k in ("title", "description", "priority", "status", "actor", "actor_other")
        }
        if data["actor"] != "anderen":
            data["actor_other"] = ""
        return data


class VersionForm(BaseForm):
    title = StringField(
        _("Naam van de versie"),
        [required(_("een naam, bijvoorbeeld Voorjaar 2026")), at_most(80), no_control_characters],
        filters=STRIP,
    )
    introduction = TextAreaField(
        _("Toelichting"), [Optional(), at_most(3000), no_control_characters], filters=STRIP
    )
