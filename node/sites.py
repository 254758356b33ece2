"""Several kernen in one process: `bloei serve --sites sites.toml`.

A gemeente or a cooperative hosts the kernen that cannot host themselves. sites.toml names
each kern's host name and data folder:

    [[site]]
    host = "beesd.example"
    data = "/srv/bloei/beesd"

Each request goes, by its Host header (port ignored, case-insensitive), to that kern's own
app from create_app, with its own database, keys, settings, sessions and page cache; an
unknown host gets a short Dutch 421 page. A host must be the host name of its kern's public
address (`--url`): a host pointed at another kern's folder is refused at start-up, and a
request is only served by the kern whose address it names. What is the same for every kern is made once: the
Jinja environment (templates, filters, translations). The page cache gets one budget for the
whole process, split over the kernen. Lifespan events go to every kern, so each starts and
stops its own background jobs; these are asyncio tasks whose runs share the one thread pool,
so 26 kernen do not start 26 times as many threads.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from node.app import create_app
from node.settings import Settings, SettingsError, load_settings
from node.web.templating import create_environment

SITE_KEYS = {"host", "data"}
# The page cache of all kernen together; each gets its share, at least MIN_SITE_CACHE.
PAGE_CACHE_BUDGET = 24 * 1024 * 1024
MIN_SITE_CACHE = 1024 * 1024


@dataclass(frozen=True)
class Site:
    host: str
    data: Path


def normalise_host(value: str) -> str:
    """'Beesd.Example:8001' -> 'beesd.example'; '[::1]:8001' -> '::1'."""
    host = value.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def read_sites(path: Path | str) -> list[Site]:
    """Read and check sites.toml; anything wrong is one SettingsError line naming the site."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"sites file {path} does not exist") from None
    except IsADirectoryError:
        raise SettingsError(f"sites file {path} is a folder, not a file") from None
    except PermissionError:
        raise SettingsError(f"cannot read {path}: permission denied") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(raw) - {"site"})
    if unknown:
        raise SettingsError(f"{path}: unknown key {unknown[0]!r}; list the kernen as [[site]]")
    entries = raw.get("site")
    if not isinstance(entries, list) or not entries:
        raise SettingsError(f"{path}: no kernen; add a [[site]] with host and data for each")
    sites: list[Site] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, site {number}"
        if not isinstance(entry, dict):
            raise SettingsError(f"{where}: write each kern as a [[site]] table")
        extra = sorted(set(entry) - SITE_KEYS)
        if extra:
            raise SettingsError(f"{where}: unknown key {extra[0]!r} (a site has host and data)")
        for key in ("host", "data"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise SettingsError(f"{where}: {key} is missing or not text")
        host = normalise_host(entry["host"])
        if not host or "/" in host or " " in host:
            raise SettingsError(f"{where}: host {entry['host']!r} is not a host name")
        if host in seen:
            raise SettingsError(f"{where}: host {host} is already site {seen[host]}")
        seen[host] = number
        data = Path(entry["data"]).expanduser()
        if not data.is_absolute():
            data = path.parent / data
        if not data.is_dir():
            raise SettingsError(f"{where} ({host}): data folder {data} does not exist")
        if not os.access(data, os.R_OK | os.X_OK):
            raise SettingsError(f"{where} ({host}): data folder {data} is not readable")
        sites.append(Site(host, data))
    return sites


def load_site_settings(sites: Iterable[Site], path: Path | str = "sites.toml", **overrides):
    """Each site's Settings, which must be a kern's; a SettingsError names the site."""
    loaded: list[tuple[Site, Settings]] = []
    for number, site in enumerate(sites, start=1):
        try:
            settings = load_settings(site.data, **overrides)
        except SettingsError as error:
            raise SettingsError(f"{path}, site {number} ({site.host}): {error}") from None
        if settings.role != "kern":
            raise SettingsError(
                f"{path}, site {number} ({site.host}): {site.data} is a {settings.role} node, "
                "not a kern; only kernen can share a process"
            )
        if public_host(settings) != site.host:
            raise SettingsError(
                f"{path}, site {number} ({site.host}): {site.data} is the kern at "
                f"{settings.public_url}; give each kern the host name of its own address"
            )
        loaded.append((site, settings))
    return loaded


def public_host(settings: Settings) -> str:
    """The host name of the kern's public address, as requests name it."""
    return normalise_host(urlsplit(settings.public_url).netloc.rsplit("@", 1)[-1])


UNKNOWN_HOST_PAGE = (
    "<!doctype html><html lang='nl'><meta charset='utf-8'><title>Onbekende site</title>"
    "<h1>Deze site is hier niet bekend</h1>"
    "<p>Op dit adres draait geen kern. Controleer het webadres.</p>"
)


class MultiSiteApp:
    """ASGI: send each request to the app of the kern named by its Host header."""

    def __init__(self, apps: dict[str, Starlette]):
        self.apps = {normalise_host(host): app for host, app in apps.items()}

    def app_for(self, scope: Scope) -> Starlette | None:
        """The kern whose public address has the request's host name; None for any other
        host, also one listed for a kern at another address (it would serve that kern's
        pages, links and federation under a name that is not its own)."""
        for key, value in scope.get("headers", []):
            if key == b"host":
                host = normalise_host(value.decode("latin-1"))
                app = self.apps.get(host)
                if app is not None and public_host(app.state.settings) == host:
                    return app
                return None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        app = self.app_for(scope)
        if app is not None:
            return await app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = HTMLResponse(UNKNOWN_HOST_PAGE, status_code=421)
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Start every kern (its background jobs) on startup, stop them all on shutdown."""
        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with contextlib.AsyncExitStack() as stack:
            try:
                for app in self.apps.values():
                    await stack.enter_async_context(app.router.lifespan_context(app))
            except BaseException as error:
                await stack.aclose()
                await send({"type": "lifespan.startup.failed", "message": str(error)})
                raise
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})


def create_multi_site_app(loaded: list[tuple[Site, Settings]]) -> MultiSiteApp:
    """One app per kern, sharing the Jinja environment and one page cache budget."""
    templates = create_environment()
    per_site = max(MIN_SITE_CACHE, PAGE_CACHE_BUDGET // max(1, len(loaded)))
    apps: dict[str, Starlette] = {}
    try:
        for site, settings in loaded:
            apps[site.host] = create_app(settings, templates=templates, page_cache_bytes=per_site)
    except BaseException:
        for app in apps.values():
            app.state.db.close()
        raise
    return MultiSiteApp(apps)


def from_sites_file(path: Path | str, **overrides) -> MultiSiteApp:
    return create_multi_site_app(load_site_settings(read_sites(path), path, **overrides))
