"""What each role (kern, gemeente) hands node/app.py: the same shape for both.

A role's `wiring` module has `open_database`, `parts` and `background_jobs`; the app chooses
the module by `settings.role` and never looks inside a role otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from starlette.middleware import Middleware
from starlette.routing import BaseRoute


@dataclass(frozen=True)
class RoleParts:
    """The role-specific pieces of the app.

    `middleware` runs innermost (after the session); `front_middleware` sits in front of the
    page cache; `on_start` runs when the server starts, before the background jobs;
    `cross_site_posts` are left alone by the Origin check.
    """

    federation: Any
    routes: list[BaseRoute]
    menu: list[tuple[str, str, bool]]
    templates: jinja2.Environment
    middleware: list[Middleware] = field(default_factory=list)
    front_middleware: list[Middleware] = field(default_factory=list)
    on_start: list[Callable[[], object]] = field(default_factory=list)
    # Address prefixes whose POSTs may come from another site (the token in the address is
    # what protects them), such as the one-click unsubscribe a mail program sends.
    cross_site_posts: tuple[str, ...] = ()
