"""The HTML of a form's inputs, made once for each set of things it is made from.

WTForms writes an `<input>` through `html_params`, which formats every attribute with
`Markup.format`: on a public project or meeting page that was a third of the time the page
took without the page cache. Most of those inputs are the same for every visitor (an empty
name and e-mail field), so `render_kept` keeps the HTML by everything the widget reads: the
widget itself, the field's id, name and value, its flags (required, maxlength, ...) and the
attributes the template passes. Anything else (choices, check boxes, a datalist, flags that
are worked out per call) is rendered by WTForms as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from markupsafe import Markup
from wtforms.fields import Field
from wtforms.widgets import CheckboxInput, Input, RadioInput, TextArea

# A few dozen forms with a handful of fields each; the bound only guards against values that
# differ per visitor (a field filled after a wrong submission) filling memory.
MAX_KEPT = 2048

_kept: dict[Hashable, Markup] = {}


def _key(field: Field, render_kw: dict[str, Any]) -> Hashable | None:
    """What this field's HTML is made from, or None when it is not only that."""
    widget = field.widget
    if not isinstance(widget, Input | TextArea) or isinstance(widget, CheckboxInput | RadioInput):
        return None
    if getattr(field, "_datalist", None) is not None:
        return None
    flags = tuple(sorted(vars(field.flags).items()))
    if any(callable(value) for _name, value in flags):
        return None
    key = (widget, field.id, field.name, field._value(), flags, tuple(sorted(render_kw.items())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def render_kept(
    field: Field, render_kw: dict[str, Any], render: Callable[[Field, dict[str, Any]], Markup]
) -> Markup:
    """`render(field, render_kw)`, or the HTML it gave before for the same key."""
    key = _key(field, render_kw)
    if key is None:
        return render(field, render_kw)
    html = _kept.get(key)
    if html is None:
        html = render(field, render_kw)
        if len(_kept) >= MAX_KEPT:
            _kept.clear()
        _kept[key] = html
    return html
