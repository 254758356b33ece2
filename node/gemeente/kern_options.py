"""The `<option>`s of the kern filter on the projects and calendar pages, made once per change
of the read model.

West Betuwe has 26 kernen; a gemeente that followed thousands would put thousands of options
on every projects and calendar page, and making them through the template cost more than the
page itself (about 10 ms of 14 at 2,600 kernen, on every request). The list changes only when
a kern is added, renamed or stopped, so it is made once per data version, escaped here, and
only the chosen kern's option is marked per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request

from node.gemeente import kernen

OPTION = Markup('<option value="{}">{}</option>')
SELECTED = Markup('<option value="{}" selected>{}</option>')


@dataclass(frozen=True)
class KernOptions:
    version: int
    ids: frozenset[int]
    names: dict[int, str]
    options: tuple[tuple[int, Markup], ...]

    def html(self, selected: int | None) -> Markup:
        """Every option, the one of `selected` marked (none when it is not a followed kern)."""
        return Markup("").join(
            SELECTED.format(kern_id, self.names[kern_id]) if kern_id == selected else option
            for kern_id, option in self.options
        )


def kern_options(request: Request) -> KernOptions:
    state = request.app.state
    version = state.db.data_version()
    kept: KernOptions | None = getattr(state, "gemeente_kern_options", None)
    if kept is not None and kept.version == version:
        return kept
    choices = kernen.choices(state.db.read())
    kept = KernOptions(
        version,
        frozenset(k["id"] for k in choices),
        {k["id"]: k["name"] for k in choices},
        tuple((k["id"], OPTION.format(k["id"], k["name"])) for k in choices),
    )
    state.gemeente_kern_options = kept
    return kept
