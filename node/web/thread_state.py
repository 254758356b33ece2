"""Who is to answer in a conversation between the gemeente and a kern about one project or
thema: the same rule on both sides, so the kern and the gemeente show the same state.

The conversation is every reactie of the gemeente on the project or thema and every answer
of the kern to one of them, in the order they were written. The last one decides:

* the kern wrote last: "wacht op gemeente" (an answer is a question to the gemeente too);
* the gemeente wrote last: "wacht op kern";
* whoever wrote last closed it ("afgerond" on the wire): "afgerond", until someone writes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from node.web.i18n import _

WAITS_FOR_GEMEENTE = "wacht_op_gemeente"
WAITS_FOR_KERN = "wacht_op_kern"
CLOSED = "afgerond"

LABELS = {
    WAITS_FOR_GEMEENTE: _("Wacht op de gemeente"),
    WAITS_FOR_KERN: _("Wacht op de kern"),
    CLOSED: _("Afgerond"),
}


@dataclass(frozen=True)
class Said:
    """One message in the conversation: when (as this node saw it: written here or received
    here, stored timestamp text), by whom, and whether it closed it."""

    at: str
    by_kern: bool
    closes: bool = False


def state(messages: Sequence[Said]) -> str | None:
    """The state of a conversation; None when nothing was said yet."""
    if not messages:
        return None
    last = max(messages, key=lambda said: said.at)
    if last.closes:
        return CLOSED
    return WAITS_FOR_GEMEENTE if last.by_kern else WAITS_FOR_KERN


def waiting_since(messages: Sequence[Said]) -> str | None:
    """Since when the gemeente owes an answer: the kern's first message after the gemeente's
    last one; None when the conversation does not wait for the gemeente."""
    if state(messages) != WAITS_FOR_GEMEENTE:
        return None
    ordered = sorted(messages, key=lambda said: said.at)
    since = None
    for said in ordered:
        if not said.by_kern or said.closes:
            since = None
        elif since is None:
            since = said.at
    return since


def label(value: str | None) -> str:
    return LABELS.get(value or "", "")
