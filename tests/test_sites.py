"""Several kernen in one process (`bloei serve --sites sites.toml`): dispatch by host name."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from node.app import SESSION_COOKIE, open_database
from node.cli import main
from node.settings import SettingsError, load_settings
from node.sites import (
    MIN_SITE_CACHE,
    PAGE_CACHE_BUDGET,
    MultiSiteApp,
    from_sites_file,
    normalise_host,
    read_sites,
)
from node.web import auth
from node.web.middleware import PageCacheMiddleware
from tests.conftest import ADMIN_PASSWORD, login, make_data_dir
from tests.helpers import add_project


def write_sites(path: Path, *entries: tuple[str, Path | str], extra: str = "") -> Path:
    text = "".join(f'[[site]]\nhost = "{host}"\ndata = "{data}"\n\n' for host, data in entries)
    path.write_text(text + extra, encoding="utf-8")
    return path


@pytest.fixture
def two_kernen(tmp_path) -> Path:
    beesd = make_data_dir(tmp_path / "beesd", "Beesd", "http://beesd.test")
    heukelum = make_data_dir(tmp_path / "heukelum", "Heukelum", "http://heukelum.test")
    for folder in (beesd, heukelum):
        open_database(load_settings(folder)).close()
    return write_sites(
        tmp_path / "sites.toml", ("beesd.test", beesd), ("Heukelum.Test", "heukelum")
    )


@pytest.fixture
def host_app(two_kernen):
    app = from_sites_file(two_kernen)
    yield app
    for site in app.apps.values():
        site.state.db.close()


def client_for(app, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")


async def test_each_host_name_gets_its_own_kern(host_app):
    async with (
        client_for(host_app, "beesd.test") as beesd,
        client_for(host_app, "heukelum.test") as heukelum,
    ):
        home_beesd, home_heukelum = await beesd.get("/"), await heukelum.get("/")
        assert home_beesd.status_code == home_heukelum.status_code == 200
        assert "Beesd" in home_beesd.text and "Heukelum" not in home_beesd.text
        assert "Heukelum" in home_heukelum.text and "Beesd" not in home_heukelum.text
        # The port and the case of the Host header do not matter.
        other = await heukelum.get("/", headers={"host": "HEUKELUM.test:8001"})
        assert "Heukelum" in other.text
        # Static files are served for every kern.
        assert (await heukelum.get("/static/bloei.css")).status_code == 200


async def test_a_write_to_one_kern_does_not_reach_the_other(host_app):
    beesd_app, heukelum_app = host_app.apps["beesd.test"], host_app.apps["heukelum.test"]
    assert beesd_app.state.db.path != heukelum_app.state.db.path
    async with (
        client_for(host_app, "beesd.test") as beesd,
        client_for(host_app, "heukelum.test") as heukelum,
    ):
        # Both pages are in their kern's page cache before the write.
        assert "Zwembad" not in (await beesd.get("/projecten")).text
        assert "Zwembad" not in (await heukelum.get("/projecten")).text
        add_project(beesd_app.state.db, beesd_app.state.settings, title="Zwembad open houden")
        assert "Zwembad open houden" in (await beesd.get("/projecten")).text
        assert "Zwembad open houden" not in (await heukelum.get("/projecten")).text


async def test_a_session_of_one_kern_is_not_valid_at_another(host_app):
    beesd_app = host_app.apps["beesd.test"]
    beesd_app.state.db.write(
        lambda conn: auth.create_user(
            conn, "anna", "Anna", "beheerder", ADMIN_PASSWORD, must_change_password=False
        )
    )
    async with (
        client_for(host_app, "beesd.test") as beesd,
        client_for(host_app, "heukelum.test") as heukelum,
    ):
        await login(beesd)
        assert (await beesd.get("/beheer/wachtwoord")).status_code == 200
        cookie = beesd.cookies[SESSION_COOKIE]
        # Each kern signs sessions with its own secret key.
        refused = await heukelum.get(
            "/beheer/wachtwoord", headers={"cookie": f"{SESSION_COOKIE}={cookie}"}
        )
        assert refused.status_code in (302, 303)


async def test_an_unknown_host_is_refused(host_app):
    async with client_for(host_app, "elders.test") as elders:
        response = await elders.get("/")
    assert response.status_code == 421
    assert "niet bekend" in response.text
    assert "Beesd" not in response.text


async def test_a_host_is_only_served_by_the_kern_at_that_address(host_app):
    # Put together by hand, past the start-up check: elders.test names Beesd's app.
    app = MultiSiteApp({"elders.test": host_app.apps["beesd.test"]})
    async with client_for(app, "elders.test") as elders:
        response = await elders.get("/")
    assert response.status_code == 421
    assert "Beesd" not in response.text


async def test_lifespan_starts_and_stops_every_kern(host_app):
    to_app: asyncio.Queue = asyncio.Queue()
    from_app: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(
        host_app({"type": "lifespan", "asgi": {"version": "3.0"}}, to_app.get, from_app.put)
    )
    await to_app.put({"type": "lifespan.startup"})
    assert (await asyncio.wait_for(from_app.get(), 10))["type"] == "lifespan.startup.complete"
    workers = [site.state.worker for site in host_app.apps.values()]
    assert len(workers) == 2 and all(worker.running for worker in workers)
    await to_app.put({"type": "lifespan.shutdown"})
    assert (await asyncio.wait_for(from_app.get(), 10))["type"] == "lifespan.shutdown.complete"
    await asyncio.wait_for(task, 10)
    assert not any(worker.running for worker in workers)


def page_cache(app) -> PageCacheMiddleware:
    layer = app.build_middleware_stack()
    while not isinstance(layer, PageCacheMiddleware):
        layer = layer.app
    return layer


def test_kernen_share_templates_and_split_the_page_cache(host_app):
    beesd_app, heukelum_app = host_app.apps.values()
    assert beesd_app.state.templates is heukelum_app.state.templates
    assert beesd_app.state.settings.secret_key != heukelum_app.state.settings.secret_key
    budget = max(MIN_SITE_CACHE, PAGE_CACHE_BUDGET // 2)
    assert page_cache(beesd_app).max_total_bytes == budget
    assert page_cache(beesd_app) is not page_cache(heukelum_app)


def test_host_names_ignore_port_and_case():
    assert normalise_host("Beesd.Example:8001") == "beesd.example"
    assert normalise_host("beesd.example.") == "beesd.example"
    assert normalise_host("[::1]:8001") == "::1"


def bad_case(tmp_path: Path, case: str) -> Path:
    kern = make_data_dir(tmp_path / "beesd", "Beesd", "http://beesd.test")
    sites = tmp_path / "sites.toml"
    if case == "missing file":
        return tmp_path / "nergens.toml"
    if case == "not toml":
        sites.write_text("[[site]\nhost =", encoding="utf-8")
    elif case == "no sites":
        sites.write_text("", encoding="utf-8")
    elif case == "unknown top key":
        write_sites(sites, ("beesd.test", kern), extra="port = 8001\n")
    elif case == "unknown site key":
        sites.write_text(f'[[site]]\nhost = "beesd.test"\ndata = "{kern}"\nname = "B"\n')
    elif case == "missing host":
        sites.write_text(f'[[site]]\ndata = "{kern}"\n')
    elif case == "host of another kern":
        write_sites(sites, ("beesd.test", kern), ("heukelum.test", kern))
    elif case == "duplicate host":
        write_sites(sites, ("beesd.test", kern), ("BEESD.test", kern))
    elif case == "missing data":
        write_sites(sites, ("beesd.test", tmp_path / "weg"))
    elif case == "no config":
        (tmp_path / "leeg").mkdir()
        write_sites(sites, ("beesd.test", tmp_path / "leeg"))
    elif case == "gemeente":
        gemeente = make_data_dir(
            tmp_path / "gemeente", "West Betuwe", "http://gemeente.test", role="gemeente"
        )
        write_sites(sites, ("beesd.test", kern), ("gemeente.test", gemeente))
    return sites


BAD_CASES = {
    "missing file": "does not exist",
    "not toml": "is not valid TOML",
    "no sites": "no kernen",
    "unknown top key": "unknown key 'port'",
    "unknown site key": "site 1: unknown key 'name'",
    "missing host": "site 1: host is missing",
    "duplicate host": "site 2: host beesd.test is already site 1",
    "host of another kern": "is the kern at http://beesd.test",
    "missing data": "site 1 (beesd.test): data folder",
    "no config": "site 1 (beesd.test): no bloei.toml",
    "gemeente": "site 2 (gemeente.test):",
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_a_bad_sites_file_is_one_clear_line(tmp_path, case, capsys):
    sites = bad_case(tmp_path, case)
    with pytest.raises(SettingsError) as error:
        from_sites_file(sites)
    message = str(error.value)
    assert "\n" not in message and BAD_CASES[case] in message, message
    # The same line from `bloei serve --sites`, without a traceback.
    assert main(["serve", "--sites", str(sites), "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bloei: ") and err.count("\n") == 1 and BAD_CASES[case] in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_data_folder_is_one_clear_line(tmp_path):
    kern = make_data_dir(tmp_path / "beesd")
    sites = write_sites(tmp_path / "sites.toml", ("beesd.test", kern))
    kern.chmod(0)
    try:
        with pytest.raises(SettingsError, match="is not readable"):
            read_sites(sites)
    finally:
        kern.chmod(0o700)


def test_sites_and_data_cannot_both_be_given(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--sites", "sites.toml", "--data", str(tmp_path)])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
