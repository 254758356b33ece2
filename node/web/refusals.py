"""What a guard says when it refuses: an exception or a callable, never a rendered page.

The guards (node/web/auth.py, node/web/csrf.py) sit below the page renderer: the templates
ask them who is signed in and for the CSRF token. So they only say *that* they refuse and
why; the app's exception handlers and the callable the app hands the origin check
(node/web/errors.py, wired in node/app.py) turn that into the page or problem document,
the way Starlette answers an HTTPException.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope


class Forbidden(HTTPException):
    """The signed-in user may not do this (a redacteur on a beheerder's page): a 403."""

    def __init__(self) -> None:
        super().__init__(status_code=403)


# Answers a POST that came from another site; gets the request's scope, before any endpoint.
CrossSiteRefusal = Callable[[Scope], Response]
