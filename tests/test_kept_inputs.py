"""Kept inputs are exactly what WTForms writes, for every field kind the forms use."""

from __future__ import annotations

from starlette.datastructures import FormData
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from node.web import kept_inputs
from node.web.forms import BaseForm

FIELDS = {
    "name": StringField("Naam", [InputRequired(), Length(max=80)]),
    "email": EmailField("E-mail", [Optional(), Length(max=200)]),
    "people": IntegerField("Personen", [NumberRange(min=1, max=20)], default=1),
    "note": TextAreaField("Opmerking", [Length(max=2000)]),
    "secret": PasswordField("Wachtwoord"),
    "agree": BooleanField("Akkoord"),
    "phase": SelectField("Fase", choices=[("idee", "Idee"), ("klaar", "Klaar")]),
    "who": RadioField("Wie", choices=[("kern", "Kern"), ("gemeente", "Gemeente")]),
}
KEPT = type("KeptForm", (BaseForm,), dict(FIELDS))
PLAIN = type("PlainForm", (Form,), dict(FIELDS))
ATTRIBUTES = [{}, {"class_": "bloei-input"}, {"class_": "x", "aria-describedby": "a-hint"}]


def rendered(form_class, data=None, prefix="") -> list[str]:
    form = form_class(
        formdata=FormData(list(data.items())) if data is not None else None, prefix=prefix
    )
    if data is not None:
        form.validate()
    return [str(field(**attrs)) for field in form for attrs in ATTRIBUTES]


def test_kept_inputs_are_what_wtforms_writes_empty_filled_and_refused():
    kept_inputs._kept.clear()
    cases = [
        (None, ""),
        ({"name": "Anna", "email": "anna@example.nl", "people": "3", "note": "Tot <dan>"}, ""),
        ({"name": 'A "quote" & <b>', "people": "99", "agree": "y", "phase": "klaar"}, ""),
        ({"name": "", "email": "geen adres", "secret": "geheim", "who": "kern"}, ""),
        (None, "tweede"),
    ]
    for _round in range(2):  # the second round reads what the first one kept
        for data, prefix in cases:
            assert rendered(KEPT, data, prefix) == rendered(PLAIN, data, prefix)
    assert kept_inputs._kept  # the text inputs were kept


def test_a_field_filled_by_one_visitor_is_not_shown_to_the_next():
    kept_inputs._kept.clear()
    filled = KEPT(formdata=FormData([("name", "Anna de Vries")]))
    assert 'value="Anna de Vries"' in str(filled.name())
    empty = KEPT()
    assert 'value=""' in str(empty.name()) and "Anna" not in str(empty.name())


def test_the_store_stays_bounded(monkeypatch):
    kept_inputs._kept.clear()
    monkeypatch.setattr(kept_inputs, "MAX_KEPT", 5)
    for number in range(20):
        KEPT(formdata=FormData([("name", f"Persoon {number}")])).name()
    assert len(kept_inputs._kept) <= 5


def test_the_same_name_in_another_form_keeps_its_own_rules():
    kept_inputs._kept.clear()
    short = type("Short", (BaseForm,), {"name": StringField("Naam", [Length(max=10)])})
    long = type("Long", (BaseForm,), {"name": StringField("Naam", [Length(max=300)])})
    assert 'maxlength="10"' in str(short().name())
    assert 'maxlength="300"' in str(long().name())
    required = type("Required", (BaseForm,), {"name": StringField("Naam", [InputRequired()])})
    assert "required" in str(required().name()) and "required" not in str(long().name())
