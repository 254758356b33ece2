"""Reading a beheer form: the CSRF token first, then the fields."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request

from node.web.csrf import valid_csrf
from node.web.forms import read_form


async def read_beheer_form(request: Request, max_files: int = 0) -> tuple[FormData, bool]:
    """The submitted form and whether its CSRF token matches this session."""
    data = await read_form(request, max_files=max_files)
    return data, valid_csrf(request, data.get("csrf"))
