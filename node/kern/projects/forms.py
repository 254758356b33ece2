"""The forms of projects: the project, its phase, an update, its photo, and a volunteer."""

from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
)

from node.email_address import is_email_address
from node.kern.fields import (
    STRIP,
    EuroField,
    MultiCheckboxField,
    at_most,
    choice_validator,
    chosen,
    euros_to_cents,
    required,
)
from node.vocabulary import (
    BUDGET_SOURCES,
    LADDER,
    NEEDS,
    PHASES,
    choices,
)
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _
from node.web.numbers import ascii_digits


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
    budget_source_other = StringField(
        _("Welke andere bron?"),
        # No Optional(): it would stop the check that "anders" comes with words.
        [at_most(100), no_control_characters],
        filters=STRIP,
    )
    start_date = DateField(_("Startdatum"), [Optional()], format="%Y-%m-%d")
    target_date = DateField(_("Streefdatum"), [Optional()], format="%Y-%m-%d")
    phase = SelectField(
        _("Fase bij de start"), choices=choices(PHASES), default="idee", validate_choice=False
    )

    def __init__(self, *args, thema_choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.themas.choices = list(thema_choices)
        self.themas.validators = [choice_validator(_("Kies thema's uit de lijst."))]
        self.ladder.validators = [choice_validator(_("Kies een trede uit de lijst."))]
        self.needs.validators = [choice_validator(_("Kies uit de lijst wat er nodig is."))]
        self.budget_source.validators = [choice_validator(_("Kies een bron uit de lijst."))]
        self.phase.validators = [choice_validator(_("Kies een fase uit de lijst."))]

    def validate_target_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_("De streefdatum ligt voor de startdatum."))

    def granted_above_requested(self) -> bool:
        """More granted than asked: rare but real (a fund that rounds up), so it is saved,
        with a word of warning in case it is a typing error."""
        granted, requested = self.budget_granted.data, self.budget_requested.data
        return granted is not None and requested is not None and granted > requested

    def validate_budget_source_other(self, field) -> None:
        if self.budget_source.data == "anders" and not field.data:
            raise ValidationError(_("Schrijf op waar het geld vandaan komt."))

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
            "budget_requested": euros_to_cents(self.budget_requested.data),
            "budget_granted": euros_to_cents(self.budget_granted.data),
            "budget_source": self.budget_source.data or "",
            # The free text only means something with "anders"; with a listed source it goes.
            "budget_source_other": (self.budget_source_other.data or "")
            if self.budget_source.data == "anders"
            else "",
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
            choice_validator(_("Kies een fase uit de lijst.")),
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


class ReflectionForm(BaseForm):
    """The group's look back when a project ends: what worked, what we learned, the step."""

    what_worked = TextAreaField(
        _("Wat werkte goed?"),
        [required(_("wat goed werkte")), at_most(4000), no_control_characters],
        filters=STRIP,
    )
    learned = TextAreaField(
        _("Wat hebben we geleerd?"),
        [required(_("wat u geleerd heeft")), at_most(4000), no_control_characters],
        filters=STRIP,
    )
    ladder_reached = SelectField(
        _("Welke trede op de participatieladder hebben we bereikt?"),
        choices=[("", _("Kies een trede"))] + choices(LADDER),
        validate_choice=False,
    )

    def validate_ladder_reached(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Kies de trede die u bereikt heeft."))
        if field.data not in LADDER:
            raise ValidationError(_("Kies een trede uit de lijst."))
