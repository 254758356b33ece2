"""A non-editable install in a fresh virtualenv serves every page: templates and static
files ship inside the wheel."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest
from process_helpers import served

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.processes
SAMPLE_CHECK = """
from node.kern import sample
for kern in sample.kernen():
    sample.read_sample(sample.sample_path(kern))
    print(kern)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(target)
    build = tmp_path_factory.mktemp("build")
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-input"]
    result = subprocess.run(
        [*pip, str(ROOT)], capture_output=True, text=True, cwd=build, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return target


def test_installed_package_serves_every_page(installed, tmp_path):
    bloei = installed / "bin" / "bloei"
    data = tmp_path / "node"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": ""}
    init = subprocess.run(
        [
            str(bloei),
            "init",
            "--name",
            "Beesd",
            "--url",
            f"http://127.0.0.1:{port}",
            "--data",
            str(data),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert init.returncode == 0, init.stderr
    argv = [str(bloei), "serve", "--data", str(data), "--port", str(port)]
    with served(argv, port, env, tmp_path):
        for path in (
            "/",
            "/agenda",
            "/projecten",
            "/over",
            "/over/privacy",
            "/zoeken?q=a",
            "/beheer/inloggen",
            "/static/bloei.css",
            "/static/tokens.css",
        ):
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            assert response.status_code == 200, path
        location = subprocess.run(
            [str(installed / "bin" / "python"), "-c", "import node; print(node.__file__)"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        ).stdout
        assert str(ROOT) not in location, "the test must use the installed copy"
        # The sample data ships as files beside its loader, and every kern's file loads.
        sample = subprocess.run(
            [str(installed / "bin" / "python"), "-c", SAMPLE_CHECK],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert sample.returncode == 0, sample.stderr
        assert sample.stdout.split() == ["beesd", "heukelum"]
    assert sys.executable
