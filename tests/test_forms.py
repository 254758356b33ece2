"""What every form does with line breaks: one-line inputs refuse them, text areas keep them."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData
from wtforms import EmailField, StringField, TelField, TextAreaField

from node.web.forms import BaseForm, strip_text


class ExampleForm(BaseForm):
    title = StringField("Titel", filters=[strip_text])
    email = EmailField("E-mailadres")
    phone = TelField("Telefoon")
    text = TextAreaField("Tekst", filters=[strip_text])


def submitted(**values: str) -> ExampleForm:
    defaults = {"title": "Dorpsavond", "email": "", "phone": "", "text": ""}
    return ExampleForm(FormData(list({**defaults, **values}.items())))


@pytest.mark.parametrize("field", ["title", "email", "phone"])
@pytest.mark.parametrize("value", ["een\ntwee", "een\r\ntwee", "een\rtwee", "een\u2028twee"])
def test_a_line_break_in_a_one_line_input_is_refused_in_dutch(field, value):
    form = submitted(**{field: value})
    assert not form.validate()
    assert form[field].errors == ["Schrijf dit op één regel, zonder regeleinde (Enter)."]


def test_a_text_area_keeps_its_lines():
    form = submitted(text="Eerste regel\r\nTweede regel")
    assert form.validate()
    assert form.text.data == "Eerste regel\nTweede regel"
