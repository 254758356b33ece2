"""The forms of the bijeenkomsten beheer: plan, edit, move, cancel, and plan a series.

Their fields take dates and times as people type them and say in Dutch what is wrong.
Only these pages use them, so they live here rather than in node/kern/fields.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from wtforms import (
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from node.kern.fields import STRIP, MultiCheckboxField, at_most, required
from node.kern.meetings import model as meetings
from node.kern.meetings.pages import WholeNumberField
from node.vocabulary import choices
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _

MAX_CAPACITY = 100_000


class DayField(DateField):
    """A date as the browser's date picker sends it, or as people type it: 2-3-2026."""

    def __init__(self, label_text: str, validators=None, **kwargs):
        super().__init__(label_text, validators, format=["%Y-%m-%d", "%d-%m-%Y"], **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Vul een datum in, bijvoorbeeld 2-3-2026.")) from None


class ClockField(TimeField):
    """A time of day: 19:30, or 19.30 as many Dutch people write it."""

    def __init__(self, label_text: str, validators=None, **kwargs):
        super().__init__(label_text, validators, format=["%H:%M", "%H.%M"], **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Vul een tijd in, bijvoorbeeld 19:30.")) from None


def one_of(message: str):
    """A validator: every value chosen is one of the field's choices."""

    def check(form, field) -> None:
        valid = {value for value, _label in field.choices}
        data = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in valid for value in data if value not in (None, "")):
            raise ValidationError(message)

    return check


def _title() -> StringField:
    return StringField(
        _("Titel"), [required(_("een titel")), at_most(120), no_control_characters], filters=STRIP
    )


def _description() -> TextAreaField:
    return TextAreaField(
        _("Waar gaat het over?"),
        [Optional(), at_most(10000), no_control_characters],
        filters=STRIP,
    )


def _capacity() -> WholeNumberField:
    return WholeNumberField(
        _("Hoeveel plaatsen"),
        [
            Optional(),
            NumberRange(
                min=1,
                max=MAX_CAPACITY,
                message=_(
                    "Vul een aantal van 1 of meer in. Laat het veld leeg als er geen maximum is."
                ),
            ),
        ],
        invalid_message=_(
            "Vul een heel getal in, bijvoorbeeld 40. Laat het veld leeg als er geen maximum is."
        ),
    )


def _place_name() -> StringField:
    return StringField(
        _("Plaats"),
        [
            required(_("de plaats, bijvoorbeeld Dorpshuis De Pluk")),
            at_most(120),
            no_control_characters,
        ],
        filters=STRIP,
    )


def _place_address() -> StringField:
    return StringField(_("Adres"), [Optional(), at_most(200), no_control_characters], filters=STRIP)


class LinksMixin:
    """The thema's and projects a meeting is about; choices are set per request."""

    def set_link_choices(self, themas: list, project_rows: list) -> None:
        self.themas.choices = [(str(t["id"]), t["title"]) for t in themas]
        self.themas.validators = [one_of(_("Kies thema's uit de lijst."))]
        self.projects.choices = [(str(p["id"]), p["title"]) for p in project_rows]
        self.projects.validators = [one_of(_("Kies projecten uit de lijst."))]

    def link_ids(self) -> tuple[list[int], list[int]]:
        return (
            [int(v) for v in self.themas.data or []],
            [int(v) for v in self.projects.data or []],
        )


class TimesMixin:
    """Day, start and end; checked together: the end after the start, not in the past."""

    def checked_times(self) -> tuple[str, str] | None:
        """(starts_at, ends_at) in UTC, or None with the errors set on the fields."""
        if not (self.day.data and self.starts.data and self.ends.data):
            return None
        try:
            start = meetings.local_moment(self.day.data, self.starts.data)
        except meetings.MeetingError as error:
            self.starts.errors.append(str(error))
            return None
        try:
            end = meetings.local_moment(self.day.data, self.ends.data)
        except meetings.MeetingError as error:
            self.ends.errors.append(str(error))
            return None
        if end <= start:
            self.ends.errors.append(
                _("De eindtijd ligt voor de begintijd. Kies een latere eindtijd.")
            )
            return None
        if start.astimezone(UTC) <= datetime.now(UTC):
            self.day.errors.append(
                _("Deze datum en tijd zijn al voorbij. Kies een moment in de toekomst.")
            )
            return None
        return meetings.utc_iso(start), meetings.utc_iso(end)


def _day() -> DayField:
    return DayField(_("Datum"), [InputRequired(message=_("Vul een datum in."))])


def _clock(text: str, what: str) -> ClockField:
    return ClockField(text, [InputRequired(message=_("Vul %s in, bijvoorbeeld 19:30.") % what)])


class MeetingForm(BaseForm, LinksMixin, TimesMixin):
    title = _title()
    description = _description()
    day = _day()
    starts = _clock(_("Begintijd"), _("de begintijd"))
    ends = _clock(_("Eindtijd"), _("de eindtijd"))
    place_name = _place_name()
    place_address = _place_address()
    capacity = _capacity()
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    projects = MultiCheckboxField(_("Projecten"), coerce=str, validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.moments = self.checked_times() if valid else None
        return valid and self.moments is not None

    def values(self) -> dict:
        starts_at, ends_at = self.moments
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "capacity": self.capacity.data,
            "place_name": self.place_name.data,
            "place_address": self.place_address.data or "",
            "starts_at": starts_at,
            "ends_at": ends_at,
        }


class EditForm(BaseForm, LinksMixin):
    title = _title()
    description = _description()
    capacity = _capacity()
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    projects = MultiCheckboxField(_("Projecten"), coerce=str, validate_choice=False)

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "capacity": self.capacity.data,
        }


class MoveForm(BaseForm, TimesMixin):
    day = _day()
    starts = _clock(_("Begintijd"), _("de begintijd"))
    ends = _clock(_("Eindtijd"), _("de eindtijd"))
    place_name = _place_name()
    place_address = _place_address()
    note = TextAreaField(
        _("Bericht aan wie zich heeft aangemeld"),
        [Optional(), at_most(2000), no_control_characters],
        filters=STRIP,
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.moments = self.checked_times() if valid else None
        return valid and self.moments is not None

    def values(self) -> dict:
        starts_at, ends_at = self.moments
        return {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place_name": self.place_name.data,
            "place_address": self.place_address.data or "",
        }


class CancelForm(BaseForm):
    reason = TextAreaField(
        _("Waarom gaat de bijeenkomst niet door?"),
        [required(_("de reden")), at_most(1000), no_control_characters],
        filters=STRIP,
    )


WEEKDAY_CHOICES = [
    ("0", _("maandag")),
    ("1", _("dinsdag")),
    ("2", _("woensdag")),
    ("3", _("donderdag")),
    ("4", _("vrijdag")),
    ("5", _("zaterdag")),
    ("6", _("zondag")),
]


class SeriesForm(BaseForm, LinksMixin):
    title = _title()
    description = _description()
    frequency = RadioField(
        _("Hoe vaak"), choices=choices(meetings.FREQUENCIES), validate_choice=False
    )
    nth = SelectField(
        _("Welke week van de maand"), choices=choices(meetings.NTH), validate_choice=False
    )
    weekday = SelectField(_("Op welke dag"), choices=WEEKDAY_CHOICES, validate_choice=False)
    interval = WholeNumberField(
        _("Om de hoeveel weken"),
        [Optional(), NumberRange(min=1, max=8, message=_("Kies 1 tot 8 weken."))],
        default=1,
    )
    first_day = DayField(_("Vanaf"), [InputRequired(message=_("Vul een datum in."))])
    starts = _clock(_("Begintijd"), _("de begintijd"))
    ends = _clock(_("Eindtijd"), _("de eindtijd"))
    count = WholeNumberField(
        _("Hoeveel bijeenkomsten"),
        [
            InputRequired(message=_("Vul in hoeveel bijeenkomsten u wilt maken.")),
            NumberRange(
                min=2,
                max=meetings.MAX_SERIES,
                message=_("Kies 2 tot %d bijeenkomsten.") % meetings.MAX_SERIES,
            ),
        ],
        default=6,
    )
    place_name = _place_name()
    place_address = _place_address()
    capacity = _capacity()
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    projects = MultiCheckboxField(_("Projecten"), coerce=str, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frequency.validators = [
            InputRequired(message=_("Kies hoe vaak.")),
            one_of(_("Kies hoe vaak uit de lijst.")),
        ]
        self.nth.validators = [one_of(_("Kies een week uit de lijst."))]
        self.weekday.validators = [
            InputRequired(message=_("Kies een dag.")),
            one_of(_("Kies een dag uit de lijst.")),
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.rule = None
        if not valid:
            return False
        if self.ends.data <= self.starts.data:
            self.ends.errors.append(
                _("De eindtijd ligt voor de begintijd. Kies een latere eindtijd.")
            )
            return False
        if self.first_day.data < date.today():
            self.first_day.errors.append(
                _("Deze datum is al voorbij. Kies een datum in de toekomst.")
            )
            return False
        self.rule = meetings.SeriesRule(
            frequency=self.frequency.data,
            weekday=int(self.weekday.data),
            first_day=self.first_day.data,
            starts=self.starts.data,
            ends=self.ends.data,
            count=self.count.data,
            nth=int(self.nth.data or 1),
            interval=self.interval.data or 1,
        )
        return True

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "capacity": self.capacity.data,
            "place_name": self.place_name.data,
            "place_address": self.place_address.data or "",
        }
