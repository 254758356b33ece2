"""The kern's forms, with a Dutch message for every way a field can be wrong."""

from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from node.email_address import is_email_address
from node.vocabulary import (
    BUDGET_SOURCES,
    LADDER,
    NEEDS,
    PHASES,
    PRIORITIES,
    THEMA_STATUSES,
    WHO_ACTS,
    choices,
)
from node.web.forms import BaseForm, no_control_characters, strip_text
from node.web.i18n import _
from node.web.numbers import ascii_digits, parse_amount

STRIP = [strip_text]


def required(what: str) -> DataRequired:
    # DataRequired looks at the data after the strip filter, so only spaces count as empty.
    return DataRequired(message=_("Vul %s in.") % what)


def chosen(what: str) -> InputRequired:
    return InputRequired(message=_("Kies %s.") % what)


def at_most(n: int) -> Length:
    return Length(max=n, message=_("Gebruik hoogstens %d tekens.") % n)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choice_validator(message: str):
    def check(form, field) -> None:
        valid = {value for value, _label in field.choices}
        data = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in valid for value in data if value not in (None, "")):
            raise ValidationError(message)

    return check


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
        self.priority.validators.append(_choice_validator(_("Kies een prioriteit uit de lijst.")))
        self.status.validators.append(_choice_validator(_("Kies een status uit de lijst.")))
        self.actor.validators.append(_choice_validator(_("Kies uit de lijst wie aan zet is.")))

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


def _euros_to_cents(value) -> int | None:
    return None if value is None else int(round(value * 100))


class EuroField(StringField):
    """An amount in euros as people in the Netherlands type it: 1.500, 1500,50 or € 250."""

    def process_formdata(self, valuelist) -> None:
        self.raw_text = valuelist[0].strip() if valuelist else ""
        text = self.raw_text.replace("€", "").replace(" ", "")
        if not text:
            self.data = None
            return
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        elif text.count(".") == 1 and len(text.split(".")[1]) == 3:
            text = text.replace(".", "")  # 1.500 is fifteen hundred, not one and a half
        # Plain digits with at most two decimals: no NaN, Infinity or 1e999999.
        self.data = parse_amount(text)
        if self.data is None:
            raise ValueError(_("Vul een bedrag in euro in, bijvoorbeeld 1.500 of 250,50."))

    def pre_validate(self, form) -> None:
        # An amount that could not be read needs one message, not a range message too.
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:.2f}".replace(".", ",")


class ProjectForm(BaseForm):
    title = StringField(
        _("Titel"), [required(_("een titel")), at_most(120), no_control_characters], filters=STRIP
    )
    summary = TextAreaField(
        _("Korte samenvatting"),
        [required(_("een korte samenvatting")), at_most(300), no_control_characters],
        filters=STRIP,
    )
    description = TextAreaField(
        _("Beschrijving"), [Optional(), at_most(10000), no_control_characters], filters=STRIP
    )
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    trekker_name = StringField(
        _("Trekker"), [Optional(), at_most(100), no_control_characters], filters=STRIP
    )
    trekker_consent = BooleanField(_("De trekker vindt het goed dat de naam op de site staat"))
    ladder = SelectField(
        _("Trede op de participatieladder"),
        choices=[("", _("Nog niet bekend"))] + choices(LADDER),
        validate_choice=False,
    )
    needs = MultiCheckboxField(_("Wat is er nodig"), choices=choices(NEEDS), validate_choice=False)
    budget_requested = EuroField(
        _("Gevraagd budget (euro)"),
        [
            Optional(),
            NumberRange(
                min=0, max=10_000_000, message=_("Vul een bedrag in tussen 0 en 10 miljoen euro.")
            ),
        ],
    )
    budget_granted = EuroField(
        _("Toegekend budget (euro)"),
        [
            Optional(),
            NumberRange(
                min=0, max=10_000_000, message=_("Vul een bedrag in tussen 0 en 10 miljoen euro.")
            ),
        ],
    )
    budget_source = SelectField(
        _("Bron van het budget"),
        choices=[("", _("Geen of nog niet bekend"))] + choices(BUDGET_SOURCES),
        validate_choice=False,
    )
    start_date = DateField(_("Startdatum"), [Optional()], format="%Y-%m-%d")
    target_date = DateField(_("Streefdatum"), [Optional()], format="%Y-%m-%d")
    phase = SelectField(
        _("Fase bij de start"), choices=choices(PHASES), default="idee", validate_choice=False
    )

    def __init__(self, *args, thema_choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.themas.choices = list(thema_choices)
        self.themas.validators = [_choice_validator(_("Kies thema's uit de lijst."))]
        self.ladder.validators = [_choice_validator(_("Kies een trede uit de lijst."))]
        self.needs.validators = [_choice_validator(_("Kies uit de lijst wat er nodig is."))]
        self.budget_source.validators = [_choice_validator(_("Kies een bron uit de lijst."))]
        self.phase.validators = [_choice_validator(_("Kies een fase uit de lijst."))]

    def validate_target_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_("De streefdatum ligt voor de startdatum."))

    def validate_budget_granted(self, field) -> None:
        if (
            field.data is not None
            and self.budget_requested.data is not None
            and field.data > self.budget_requested.data
        ):
            raise ValidationError(_("Het toegekende budget is hoger dan het gevraagde budget."))

    def validate_trekker_consent(self, field) -> None:
        if field.data and not self.trekker_name.data:
            raise ValidationError(_("Vul eerst de naam van de trekker in."))

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "summary": self.summary.data,
            "description": self.description.data or "",
            "trekker_name": self.trekker_name.data or "",
            "trekker_consent": bool(self.trekker_consent.data),
            "ladder": self.ladder.data or "",
            "needs": self.needs.data or [],
            "budget_requested": _euros_to_cents(self.budget_requested.data),
            "budget_granted": _euros_to_cents(self.budget_granted.data),
            "budget_source": self.budget_source.data or "",
            "start_date": self.start_date.data.isoformat() if self.start_date.data else None,
            "target_date": self.target_date.data.isoformat() if self.target_date.data else None,
        }


class PhaseForm(BaseForm):
    phase = RadioField(_("Nieuwe fase"), choices=choices(PHASES), validate_choice=False)
    note = TextAreaField(
        _("Toelichting"), [Optional(), at_most(2000), no_control_characters], filters=STRIP
    )
    changed_on = DateField(_("Datum van de verandering"), [Optional()], format="%Y-%m-%d")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase.validators = [
            chosen(_("een fase")),
            _choice_validator(_("Kies een fase uit de lijst.")),
        ]

    def validate_changed_on(self, field) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_("De datum ligt in de toekomst."))


class UpdateForm(BaseForm):
    title = StringField(
        _("Titel"), [required(_("een titel")), at_most(120), no_control_characters], filters=STRIP
    )
    body = TextAreaField(
        _("Tekst"), [required(_("een tekst")), at_most(10000), no_control_characters], filters=STRIP
    )
    published_on = DateField(_("Datum"), [Optional()], format="%Y-%m-%d")


class PhotoForm(BaseForm):
    photo_alt = StringField(
        _("Wat staat er op de foto"),
        [required(_("een korte beschrijving van de foto")), at_most(200), no_control_characters],
        filters=STRIP,
    )


class VolunteerForm(BaseForm):
    name = StringField(
        _("Uw naam"), [required(_("uw naam")), at_most(100), no_control_characters], filters=STRIP
    )
    contact = StringField(
        _("E-mailadres of telefoonnummer"),
        [required(_("een e-mailadres of telefoonnummer")), at_most(200), no_control_characters],
        filters=STRIP,
    )
    message = TextAreaField(
        _("Wat wilt u doen?"), [Optional(), at_most(2000), no_control_characters], filters=STRIP
    )
    consent = BooleanField(
        _(
            "Ik vind het goed dat de inwonersgroep mijn naam en contactgegevens bewaart om contact met mij op te nemen over dit project."
        ),
        [InputRequired(message=_("Zonder uw toestemming kunnen we uw aanmelding niet bewaren."))],
    )
    # A field people never see: bots fill it in, and are then quietly refused.
    website = HiddenField()

    def validate_contact(self, field) -> None:
        value = field.data or ""
        digits = ascii_digits(value)
        if "@" in value:
            if not is_email_address(value):
                raise ValidationError(
                    _("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.")
                )
        elif len(digits) < 10 or any(c not in "0123456789 +-()" for c in value):
            raise ValidationError(
                _("Vul een geldig e-mailadres of telefoonnummer in, bijvoorbeeld 06 12345678.")
            )
