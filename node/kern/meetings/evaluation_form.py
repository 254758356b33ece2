"""The evaluation form a meeting's page shows once the meeting has begun (evaluations.py)."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired

from node.kern.fields import STRIP, at_most
from node.kern.meetings import evaluations
from node.web.forms import BaseForm
from node.web.i18n import _, lazy

SCORE_LABELS = {
    5: lazy("Heel goed"),
    4: lazy("Goed"),
    3: lazy("Gewoon"),
    2: lazy("Niet zo goed"),
    1: lazy("Slecht"),
}


class EvaluationForm(BaseForm):
    score = RadioField(
        _("Hoe vond u de bijeenkomst?"),
        [InputRequired(message=_("Kies hoe u de bijeenkomst vond."))],
        choices=[(str(score), label) for score, label in SCORE_LABELS.items()],
    )
    went_well = TextAreaField(
        _("Wat ging goed?"),
        [at_most(evaluations.MAX_TEXT)],
        filters=STRIP,
    )
    could_be_better = TextAreaField(
        _("Wat kan beter?"),
        [at_most(evaluations.MAX_TEXT)],
        filters=STRIP,
    )
    # A field people never see: bots fill it in, and are then quietly refused.
    website = HiddenField()


def evaluation_context(meeting, form: EvaluationForm | None = None) -> dict:
    """What the meeting page needs for its evaluation block."""
    return {
        "evaluation_window": evaluations.evaluation_window(meeting),
        "evaluation_form": form or EvaluationForm(),
        "evaluation_days": evaluations.EVALUATION_DAYS,
    }
