"""An ASGI factory for process managers: `uvicorn --factory node.asgi:from_environment`.

The data folder comes from BLOEI_DATA; everything else from the node's bloei.toml and
BLOEI_* variables, as `bloei serve` reads them. Add `--no-proxy-headers`, as `bloei serve`
does: the app reads X-Forwarded-For itself, from the proxies in `trusted_proxies` only.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from node.app import create_app
from node.settings import SettingsError, load_settings


def from_environment() -> Starlette:
    data_dir = os.environ.get("BLOEI_DATA")
    if not data_dir:
        raise SettingsError("set BLOEI_DATA to the node's data folder")
    return create_app(load_settings(data_dir))
