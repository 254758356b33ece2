"""Fields and validators that every kern form shares, each with a Dutch message."""

from __future__ import annotations

from wtforms import (
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    StopValidation,
)

from node.web.forms import strip_text
from node.web.i18n import _
from node.web.numbers import parse_amount

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


def choice_validator(message: str):
    def check(form, field) -> None:
        valid = {value for value, _label in field.choices}
        data = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in valid for value in data if value not in (None, "")):
            raise ValidationError(message)

    return check


def euros_to_cents(value) -> int | None:
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
