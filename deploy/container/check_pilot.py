"""Run the container pilot (compose.yaml) and check that its three nodes federate.

For a machine with a Docker engine; run it from the repository's root folder:

    python deploy/container/check_pilot.py                    # docker compose (v2)
    python deploy/container/check_pilot.py --compose docker-compose
    python deploy/container/check_pilot.py --python-image registry.example/python:3.11-slim

It uses its own compose project (`bloei-pilot-check`), so the volumes of a pilot you run
yourself are never touched, and removes its containers and volumes afterwards (`--keep`
leaves them). The steps are those of the comments in compose.yaml and of docs/gemeente.md:
build, `bloei init` three times, `up`, sign in (the one-time passwords are changed), the
gemeente follows both kernen by address, a project made in Beesd's beheer shows on the
gemeente's pages, and the gemeente's reactie shows on Beesd's project page. Ports 8000-8002
of 127.0.0.1 must be free. Exit status 0 when every step passed; otherwise one line says
which step failed.

Needs only httpx besides the standard library (the test extras install it).
"""

from __future__ import annotations

import argparse
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
PROJECT = "bloei-pilot-check"
PORTS = {"gemeente": 8000, "beesd": 8001, "heukelum": 8002}
INIT = {
    "gemeente": ["--role", "gemeente", "--name", "Gemeente West Betuwe"],
    "beesd": ["--name", "Beesd"],
    "heukelum": ["--name", "Heukelum"],
}
PASSWORD = "pilot-in-containers-2026"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
PROJECT_TITLE = "AED bij het dorpshuis, dag en nacht"
REACTIE = "We bekijken met de kern waar de kast het beste kan hangen."


class CheckFailed(Exception):
    """A step did not do what it should; the message is the one line printed."""


def url(service: str) -> str:
    return f"http://127.0.0.1:{PORTS[service]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compose", default="docker compose", help="the compose command")
    parser.add_argument("--python-image", help="base image for the build (PYTHON_IMAGE)")
    parser.add_argument("--no-build", action="store_true", help="use the bloei image as built")
    parser.add_argument("--keep", action="store_true", help="leave containers and volumes")
    args = parser.parse_args(argv)
    compose = [*shlex.split(args.compose), "-p", PROJECT, "-f", str(HERE / "compose.yaml")]
    started = time.monotonic()
    try:
        check_ports_free()
        if not args.no_build:
            build = ["build"] + (
                ["--build-arg", f"PYTHON_IMAGE={args.python_image}"] if args.python_image else []
            )
            step("build the image", lambda: run(compose, *build))
        passwords = {s: step(f"bloei init {s}", lambda s=s: init(compose, s)) for s in PORTS}
        try:
            step("docker compose up", lambda: run(compose, "up", "-d"))
            for service in PORTS:
                step(f"{service} answers", lambda s=service: wait_until_up(s))
            gemeente = step("sign in to the gemeente", lambda: sign_in("gemeente", passwords))
            beesd = step("sign in to Beesd", lambda: sign_in("beesd", passwords))
            step("the gemeente follows both kernen", lambda: follow_both(gemeente))
            step("a project of Beesd reaches the gemeente", lambda: project_travels(beesd))
            step("the gemeente's reactie reaches Beesd", lambda: reactie_travels(gemeente))
        finally:
            if not args.keep:
                run(compose, "down", "-v", check=False)
    except CheckFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"The container pilot works: every step passed in {time.monotonic() - started:.0f} s")
    return 0


def step(what: str, action: Callable[[], object]) -> object:
    began = time.monotonic()
    try:
        result = action()
    except CheckFailed as failure:
        raise CheckFailed(f"{what}: {failure}") from None
    except httpx.HTTPError as error:
        raise CheckFailed(f"{what}: {error!r}") from None
    print(f"ok  {what} ({time.monotonic() - began:.1f} s)", flush=True)
    return result


def run(compose: list[str], *args: str, check: bool = True) -> str:
    done = subprocess.run([*compose, *args], capture_output=True, text=True, cwd=HERE)
    if check and done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise CheckFailed(f"{' '.join(args)} exited with {done.returncode}: {last}")
    return done.stdout


def check_ports_free() -> None:
    for service, port in PORTS.items():
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise CheckFailed(f"port {port} (for {service}) is taken: stop what runs there")


def init(compose: list[str], service: str) -> str:
    out = run(
        compose, "run", "--rm", service, "bloei", "init", *INIT[service], "--url", url(service)
    )
    found = re.search(r"One-time password: (\S+)", out)
    if found is None:
        raise CheckFailed("bloei init printed no one-time password")
    return found.group(1)


def wait_for(check: Callable[[], object], seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
        except httpx.TransportError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.2)


def wait_until_up(service: str) -> None:
    wait_for(lambda: httpx.get(url(service) + "/", timeout=2).status_code == 200, 60, service)


def sign_in(service: str, passwords: dict[str, str]) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=url(service), timeout=10)
    login = {"username": "beheerder", "password": passwords[service]}
    if http.post("/beheer/inloggen", data=login).status_code != 303:
        raise CheckFailed("the one-time password was not taken")
    token = csrf(http, "/beheer/wachtwoord")
    change = {"current": passwords[service], "new": PASSWORD, "repeat": PASSWORD, "csrf": token}
    if http.post("/beheer/wachtwoord", data=change).status_code != 303:
        raise CheckFailed("the new password was not taken")
    return http, csrf(http, "/beheer")


def csrf(http: httpx.Client, path: str) -> str:
    found = CSRF_RE.search(http.get(path).text)
    if found is None:
        raise CheckFailed(f"{path} shows no form")
    return found.group(1)


def follow_both(gemeente: tuple[httpx.Client, str]) -> None:
    http, token = gemeente
    for kern in ("beesd", "heukelum"):
        address = f"@{kern}@127.0.0.1:{PORTS[kern]}"
        response = http.post(
            "/beheer/kernen", data={"csrf": token, "address": address, "rollout": "pilot"}
        )
        if response.status_code != 303:
            raise CheckFailed(f"following {address} was refused ({response.status_code})")

    def both_active() -> bool:
        kernen = httpx.get(url("gemeente") + "/api/v1/kernen", timeout=5).json()["kernen"]
        return len(kernen) == 2 and all(k["stand"] == "actief" for k in kernen)

    wait_for(both_active, 20, "both kernen to accept")


def project_travels(beesd: tuple[httpx.Client, str]) -> None:
    http, token = beesd
    fields = {
        "csrf": token,
        "title": PROJECT_TITLE,
        "summary": "Een AED die iedereen altijd kan pakken, in een verwarmde kast.",
        "phase": "idee",
        "needs": "besluit_gemeente",
    }
    response = http.post("/beheer/projecten/nieuw", data=fields)
    if response.status_code != 303:
        raise CheckFailed(f"Beesd's beheer refused the project ({response.status_code})")
    wait_for(
        lambda: PROJECT_TITLE in httpx.get(url("gemeente") + "/projecten", timeout=5).text,
        10,
        "the project on the gemeente's projects page",
    )


def reactie_travels(gemeente: tuple[httpx.Client, str]) -> None:
    http, token = gemeente
    found = httpx.get(url("gemeente") + "/api/v1/projecten", timeout=5).json()["projecten"]
    project = next(p["id"] for p in found if p["titel"] == PROJECT_TITLE)
    response = http.post(f"/beheer/reactie?op={project}", data={"csrf": token, "text": REACTIE})
    if response.status_code != 303:
        raise CheckFailed(f"the gemeente's beheer refused the reactie ({response.status_code})")
    wait_for(lambda: REACTIE in httpx.get(project, timeout=5).text, 10, "the reactie on Beesd")


if __name__ == "__main__":
    sys.exit(main())
