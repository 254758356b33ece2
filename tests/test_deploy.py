"""What a host installs from deploy/, checked with each tool's own validator.

The proxy configurations go through `caddy validate` and `nginx -t`, the systemd units through
`systemd-analyze verify` and `systemd-analyze security`; the backup script rotates real files
after a real `bloei backup`; the Dockerfile and the compose file, which cannot be built here,
are parsed and held to the rules that matter (non-root, a health check that works against a
real node, data in a folder inside the volume). publiccode.yml is checked against the
standard's required fields and vocabularies, LICENSE against the EUPL-1.2 text.

A missing validator skips its test on a developer's machine and fails under CI, where
`make test` installs the tools first (the Makefile's deploy-tools target).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tarfile
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from process_helpers import served

from node.app import MAX_BODY
from node.cli import COMMANDS, USER_COMMANDS, build_parser
from node.settings import Settings
from node.web.middleware import SECURITY_HEADERS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
BACKUP_SCRIPT = DEPLOY / "backup" / "bloei-backup"
CADDYFILES = [DEPLOY / "caddy" / "Caddyfile", DEPLOY / "caddy" / "Caddyfile.several-kernen"]
NGINX_SITE = DEPLOY / "nginx" / "bloei.conf"
DOCKERFILE = DEPLOY / "container" / "Dockerfile"
COMPOSE = DEPLOY / "container" / "compose.yaml"
HOSTING = ROOT / "docs" / "hosting.md"
BLOEI = Path(sys.executable).parent / "bloei"
# What the node sets on every response itself; a proxy that adds them again sends them twice.
APP_HEADERS = {name.decode().lower() for name, _ in SECURITY_HEADERS}
TOOL_TIMEOUT = 60


def missing(message: str):
    """Skip on a developer's machine; fail under CI, which must have what the tests need."""
    if os.environ.get("CI", "") not in ("", "0", "false"):
        pytest.fail(message)
    pytest.skip(message)


def validator(name: str, *elsewhere: str) -> str:
    """The tool's path; `make test` installs it through the Makefile's deploy-tools target."""
    found = shutil.which(name) or next((p for p in elsewhere if os.access(p, os.X_OK)), None)
    if not found:
        missing(f"{name} is not installed; `make deploy-tools` installs it from Debian's packages")
    return found


def load_yaml(path: Path):
    try:
        import yaml  # PyYAML, in the test environment through openapi-spec-validator
    except ImportError:
        missing("PyYAML is not installed; add pyyaml to the test extras in pyproject.toml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- systemd ---------------------------------------------------------------------------------


def instantiate_units(folder: Path, kern: str = "beesd") -> list[Path]:
    """Copies of the units as instances for `kern`, with ExecStart on binaries that exist
    here: verify checks that the command is executable, which makes the check meaningful."""
    replacements = {
        "/usr/local/bin/bloei-backup ": f"{BACKUP_SCRIPT} ",
        "/usr/local/bin/bloei ": f"{BLOEI} ",
    }
    copies = []
    for unit in sorted(SYSTEMD.iterdir()):
        text = unit.read_text()
        for line in text.splitlines():
            if line.startswith("ExecStart="):
                assert any(old in line for old in replacements), f"{unit.name}: {line}"
        for old, new in replacements.items():
            text = text.replace(f"ExecStart={old}", f"ExecStart={new}")
        copy = folder / unit.name.replace("@.", f"@{kern}.")
        copy.write_text(text)
        copies.append(copy)
    return copies


def test_units_pass_systemd_analyze_verify(tmp_path):
    tool = validator("systemd-analyze")
    units = instantiate_units(tmp_path)
    assert {unit.name for unit in units} == {
        "bloei@beesd.service",
        "bloei-backup@beesd.service",
        "bloei-backup@beesd.timer",
    }
    result = run([tool, "verify", "--man=no", *map(str, units)], cwd=tmp_path)
    # Unknown keys and bad values are only warnings (exit 0): any line about our units fails.
    ours = [line for line in result.stderr.splitlines() if "bloei" in line]
    assert result.returncode == 0 and not ours, result.stderr


def test_units_catch_a_missing_command(tmp_path):
    # The check above is only worth something if verify really looks at ExecStart.
    tool = validator("systemd-analyze")
    unit = tmp_path / "bloei@beesd.service"
    unit.write_text(
        (SYSTEMD / "bloei@.service")
        .read_text()
        .replace("/usr/local/bin/bloei ", f"{tmp_path}/missing/bloei ")
    )
    result = run([tool, "verify", "--man=no", str(unit)], cwd=tmp_path)
    assert result.returncode != 0 and "missing/bloei" in result.stderr


@pytest.mark.parametrize("service", ["bloei@.service", "bloei-backup@.service"])
def test_services_are_hardened(tmp_path, service):
    tool = validator("systemd-analyze")
    unit = next(
        u for u in instantiate_units(tmp_path) if u.name == service.replace("@.", "@beesd.")
    )
    # systemd's own exposure score, 0 (locked down) to 10 (unprotected); threshold is x10.
    result = run([tool, "security", "--offline=true", "--threshold=20", str(unit)], cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_units_catch_a_bad_limit(tmp_path):
    # The limits below are only worth something if verify really reads them.
    tool = validator("systemd-analyze")
    unit = next(u for u in instantiate_units(tmp_path) if u.name == "bloei@beesd.service")
    text = unit.read_text()
    unit.write_text(
        text.replace("LimitNOFILE=8192", "LimitNOFILE=veel").replace(
            "MemoryMax=512M", "MemoryMax=genoeg"
        )
    )
    result = run([tool, "verify", "--man=no", str(unit)], cwd=tmp_path)
    assert "veel" in result.stderr and "genoeg" in result.stderr, result.stderr


MIB = 1024 * 1024
SIZE_UNITS = {"K": 1024, "M": MIB, "G": 1024 * MIB}


def memory_bytes(value: str) -> int:
    return int(value[:-1]) * SIZE_UNITS[value[-1]]


# Measured: `bloei serve` holds about 80 MB; decoding the largest photo it accepts (a
# 40-megapixel PNG) takes about 310 MB more; `bloei backup` about 60 MB.
SERVE_PEAK = 390 * MIB
BACKUP_PEAK = 60 * MIB


@pytest.mark.parametrize(
    ("service", "peak"),
    [("bloei@.service", SERVE_PEAK), ("bloei-backup@.service", BACKUP_PEAK)],
    ids=["serve", "backup"],
)
def test_services_have_limits_on_descriptors_and_memory(service, peak):
    unit = unit_settings(SYSTEMD / service)
    # Far above the default soft limit of 1024 descriptors.
    assert unit["LimitNOFILE"] == ["8192"]
    [high] = unit["MemoryHigh"]
    [top] = unit["MemoryMax"]
    # Above what was measured, so a large photo is not throttled or killed; MemoryMax last.
    assert peak < memory_bytes(high) < memory_bytes(top) <= 4 * memory_bytes(high)


def unit_settings(path: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_timer_runs_the_backup_service_nightly_and_catches_up():
    timer = unit_settings(SYSTEMD / "bloei-backup@.timer")
    # A timer starts the service of the same name; that service must exist beside it.
    assert (SYSTEMD / "bloei-backup@.service").is_file()
    assert "Unit" not in timer
    assert timer["OnCalendar"] == ["*-*-* 03:30"]
    assert timer["Persistent"] == ["true"]
    backup = unit_settings(SYSTEMD / "bloei-backup@.service")
    assert backup["Type"] == ["oneshot"]
    assert backup["User"] == ["bloei"]
    assert backup["ExecStart"][0].startswith("/usr/local/bin/bloei-backup %i ")
    # The backup reads the node's folder and writes the backup folder; nothing else.
    assert backup["ReadWritePaths"] == ["/srv/bloei/%i /var/backups/bloei"]
    serve = unit_settings(SYSTEMD / "bloei@.service")
    assert serve["User"] == ["bloei"]
    assert serve["ReadWritePaths"] == ["/srv/bloei/%i"]
    assert serve["ExecStart"] == ["/usr/local/bin/bloei serve --data /srv/bloei/%i"]


# --- the backup script -----------------------------------------------------------------------


def backup_module() -> ModuleType:
    # The script has no .py suffix (it is installed as a command), so load it by path.
    loader = importlib.machinery.SourceFileLoader("bloei_backup", str(BACKUP_SCRIPT))
    spec = importlib.util.spec_from_loader("bloei_backup", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def expected_days(days: list[date], daily: int = 14, weekly: int = 8) -> set[date]:
    """The policy written out the long way: the newest `daily` days, and the last day of
    each of the newest `weekly` ISO weeks."""
    by_week: dict[tuple[int, int], list[date]] = {}
    for day in days:
        by_week.setdefault(day.isocalendar()[:2], []).append(day)
    newest_weeks = sorted(by_week, reverse=True)[:weekly]
    return set(sorted(days)[-daily:]) | {max(by_week[week]) for week in newest_weeks}


def test_rotation_policy_keeps_14_days_and_8_weeks():
    module = backup_module()
    sunday = date(2026, 11, 29)
    every_day = [sunday - timedelta(days=n) for n in range(120)]
    keep = module.days_to_keep(set(every_day), 14, 8)
    # 14 days back from Sunday 29 November, then the Sundays of six more weeks.
    older_sundays = {date(2026, 11, 15) - timedelta(weeks=n) for n in range(6)}
    assert keep == {sunday - timedelta(days=n) for n in range(14)} | older_sundays
    assert keep == expected_days(every_day)


def test_rotation_counts_days_that_have_a_backup():
    # A server that was off for weeks still keeps 14 backups, not the few of the last 14 days.
    module = backup_module()
    sparse = [date(2026, 11, 29) - timedelta(days=3 * n) for n in range(60)]
    keep = module.days_to_keep(set(sparse), 14, 8)
    assert len({d for d in keep if d >= sorted(sparse)[-14]}) == 14
    assert keep == expected_days(sparse)
    assert module.days_to_keep(set(sparse), 3, 0) == set(sorted(sparse)[-3:])
    assert module.days_to_keep(set(), 14, 8) == set()


def seed_backups(folder: Path, kern: str, days: list[date]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for day in days:
        (folder / f"{kern}-{day.isoformat()}.tar.gz").write_bytes(b"old backup")


def beesd_days(folder: Path) -> set[date]:
    """The days of Beesd's real backups in the folder, read from their names."""
    days = set()
    for path in folder.glob("beesd-*.tar.gz"):
        try:
            days.add(date.fromisoformat(path.name.removeprefix("beesd-").removesuffix(".tar.gz")))
        except ValueError:
            continue
    return days


def not_beesd_backups(folder: Path) -> set[str]:
    backups = {f"beesd-{day.isoformat()}.tar.gz" for day in beesd_days(folder)}
    return {path.name for path in folder.iterdir()} - backups


def test_backup_script_backs_up_and_rotates_for_real(tmp_path, settings):
    target = tmp_path / "backups"
    today = date.today()
    seed_backups(target, "beesd", [today - timedelta(days=n) for n in range(1, 71)])
    # Not this kern's backups, or not backups at all: never touched.
    seed_backups(target, "heukelum", [today - timedelta(days=n) for n in range(1, 40)])
    (target / "beesd-notes.txt").write_text("mine")
    (target / "beesd-2020-01-01.tar.gz.part").write_text("mine")
    (target / "beesd-2020-13-45.tar.gz").write_text("not a date")
    (target / "beesd-2020-01-02.tar.gz").mkdir()  # a folder, not a backup
    others = not_beesd_backups(target)

    result = run(
        [
            sys.executable,
            str(BACKUP_SCRIPT),
            "beesd",
            "--data",
            str(settings.data_dir),
            "--to",
            str(target),
            "--bloei",
            str(BLOEI),
        ]
    )
    assert result.returncode == 0, result.stderr

    newest = target / f"beesd-{today.isoformat()}.tar.gz"
    with tarfile.open(newest) as archive:
        assert "manifest.json" in archive.getnames()
    assert newest.stat().st_mode & 0o777 == 0o600  # it holds the node's secret key
    all_days = [today - timedelta(days=n) for n in range(71)]
    assert beesd_days(target) - {date(2020, 1, 2)} == expected_days(all_days)
    assert len(expected_days(all_days)) > 14
    assert not_beesd_backups(target) == others
    assert (target / "beesd-2020-01-02.tar.gz").is_dir()


def test_a_failed_backup_removes_no_old_backup(tmp_path):
    target = tmp_path / "new" / "backups"
    old = [date.today() - timedelta(days=n) for n in range(1, 40)]
    seed_backups(target, "beesd", old)
    target.chmod(0o700)
    result = run(
        [
            sys.executable,
            str(BACKUP_SCRIPT),
            "beesd",
            "--data",
            str(tmp_path / "no-such-node"),
            "--to",
            str(target),
            "--bloei",
            str(BLOEI),
        ]
    )
    assert result.returncode != 0
    assert "no old backup was removed" in result.stderr
    assert "does not exist" in result.stderr  # bloei's own one line reaches the journal
    assert beesd_days(target) == set(old)


def test_backup_script_creates_a_private_folder_and_checks_the_kern_name(tmp_path):
    target = tmp_path / "fresh"
    base = [sys.executable, str(BACKUP_SCRIPT)]
    result = run([*base, "beesd", "--data", str(tmp_path / "none"), "--to", str(target)])
    assert result.returncode != 0
    assert target.stat().st_mode & 0o777 == 0o700
    for name in ("../etc", "Beesd", "beesd/x", ""):
        bad = run([*base, name, "--to", str(target)])
        assert bad.returncode == 2 and "short name" in bad.stderr, name


# --- Caddy -----------------------------------------------------------------------------------


def caddy_env(tmp_path: Path) -> dict[str, str]:
    # Caddy keeps certificates and its autosave under HOME / XDG folders: keep them in tmp.
    return {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


@pytest.mark.parametrize("caddyfile", CADDYFILES, ids=lambda p: p.name)
def test_caddyfile_passes_caddy_validate(tmp_path, caddyfile):
    caddy = validator("caddy")
    result = run(
        [caddy, "validate", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=caddy_env(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Caddy warns (and carries on) when a Caddyfile is not in its own format.
    assert "not formatted" not in result.stderr


def handlers(node) -> list[dict]:
    """Every handler in an adapted Caddy route tree, depth first."""
    found = []
    if isinstance(node, dict):
        if "handler" in node:
            found.append(node)
        for value in node.values():
            found += handlers(value)
    elif isinstance(node, list):
        for value in node:
            found += handlers(value)
    return found


def adapted_sites(tmp_path: Path, caddyfile: Path) -> dict[str, list[dict]]:
    caddy = validator("caddy")
    result = run(
        [caddy, "adapt", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=caddy_env(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads(result.stdout)
    sites = {}
    for server in config["apps"]["http"]["servers"].values():
        for route in server["routes"]:
            (host,) = route["match"][0]["host"]
            sites[host] = handlers(route["handle"])
    return sites


@pytest.mark.parametrize("caddyfile", CADDYFILES, ids=lambda p: p.name)
def test_caddy_proxies_each_kern_as_the_guide_says(tmp_path, caddyfile):
    sites = adapted_sites(tmp_path, caddyfile)
    ports = []
    for host, site in sites.items():
        kinds = {h["handler"]: h for h in site}
        assert kinds["request_body"]["max_size"] == MAX_BODY, host
        assert set(kinds["encode"]["encodings"]) == {"zstd", "gzip"}, host
        proxy = kinds["reverse_proxy"]
        (upstream,) = proxy["upstreams"]
        assert upstream["dial"].startswith("127.0.0.1:"), host
        ports.append(upstream["dial"])
        assert proxy["headers"]["request"]["set"]["Host"] == ["{http.request.host}"], host
        response = kinds["headers"]["response"]
        added = {name.lower() for name in response.get("set", {})}
        assert "strict-transport-security" in added, host
        assert not added & APP_HEADERS, f"{host} repeats the node's own headers"
    assert len(set(ports)) == len(ports), "each kern needs its own node and port"
    if caddyfile.name == "Caddyfile":
        assert ports == ["127.0.0.1:8001"]
    else:
        assert len(sites) >= 2


# --- nginx -----------------------------------------------------------------------------------


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    live = folder / "live" / host
    live.mkdir(parents=True)
    fullchain, privkey = live / "fullchain.pem", live / "privkey.pem"
    fullchain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    privkey.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return fullchain, privkey


def test_nginx_site_passes_nginx_t(tmp_path):
    nginx = validator("nginx", "/usr/sbin/nginx")
    site = NGINX_SITE.read_text()
    assert "/etc/letsencrypt/live/beesd.example/fullchain.pem" in site
    sites = tmp_path / "sites"
    sites.mkdir()
    # Two kernen side by side, as the guide tells a host of several kernen to do.
    for host, port in (("beesd.example", 8001), ("heukelum.example", 8002)):
        text = site.replace("beesd.example", host).replace("127.0.0.1:8001", f"127.0.0.1:{port}")
        text = text.replace("/etc/letsencrypt", str(tmp_path / "letsencrypt"))
        self_signed(tmp_path / "letsencrypt", host)
        (sites / f"{host}.conf").write_text(text)
    # A main configuration of our own: nothing of the machine's /etc/nginx, no file outside
    # tmp_path (nginx -t creates its temp folders).
    temp = "".join(
        f"    {name}_temp_path {tmp_path / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        "    access_log off;\n"
        f"{temp}"
        f"    include {sites}/*.conf;\n"
        "}\n"
    )
    result = run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def nginx_directives(text: str) -> list[tuple[str, str]]:
    body = re.sub(r"#[^\n]*", "", text)
    return [
        (m.group(1), " ".join(m.group(2).split()))
        for m in re.finditer(r"([a-z_0-9]+)\s+([^;{}]*);", body)
    ]


def test_nginx_site_proxies_as_the_guide_says():
    directives = nginx_directives(NGINX_SITE.read_text())
    values = {}
    for name, value in directives:
        values.setdefault(name, []).append(value)
    assert values["client_max_body_size"] == ["12m"] and MAX_BODY == 12 * 1024 * 1024
    assert "301 https://$host$request_uri" in values["return"]
    assert values["proxy_pass"] == ["http://127.0.0.1:8001"]
    assert set(values["proxy_set_header"]) == {
        "Host $host",
        "X-Forwarded-For $remote_addr",
        "X-Forwarded-Proto $scheme",
    }
    assert values["gzip"] == ["on"]
    assert "443 ssl http2" in values["listen"] and "80" in values["listen"]
    added = {value.split()[0].lower() for value in values["add_header"]}
    assert added == {"strict-transport-security"}
    assert not added & APP_HEADERS


# --- the container ---------------------------------------------------------------------------

DOCKER_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def test_dockerfile_builds_a_non_root_image_with_a_health_check():
    instructions = dockerfile_instructions(DOCKERFILE)
    names = [name for name, _ in instructions]
    assert set(names) <= DOCKER_INSTRUCTIONS, set(names) - DOCKER_INSTRUCTIONS
    # The base image is an argument (a registry mirror may name its copy), official by default.
    assert instructions[:2] == [
        ("ARG", "PYTHON_IMAGE=python:3.11-slim"),
        ("FROM", "${PYTHON_IMAGE}"),
    ]
    assert "ADD" not in names, "COPY local files; never ADD a remote URL"
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith(("root:", "0:"))
    assert names.index("USER") < names.index("CMD")
    args = dict(instructions)
    assert args["EXPOSE"] == "8001"
    assert args["VOLUME"] == "/data"
    assert any(name == "RUN" and "pip install ." in a for name, a in instructions)
    # Inside a container the node must listen on every interface to be reachable at all.
    assert json.loads(args["CMD"]) == ["bloei", "serve", "--host", "0.0.0.0"]  # noqa: S104
    healthcheck = args["HEALTHCHECK"]
    assert healthcheck != "NONE" and " CMD [" in healthcheck
    # The node's folder lies inside the volume: `bloei restore` renames it, and a mount point
    # cannot be renamed.
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for n, a in instructions if n == "ENV")))
    assert env["BLOEI_DATA"].startswith("/data/") and env["BLOEI_PORT"] == "8001"
    # Everything it copies exists, and the .dockerignore beside it lets it through.
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().split()
    for name, arg in instructions:
        if name == "COPY":
            *sources, _ = arg.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert f"!{source}" in ignore, f"{source} is left out of the build context"


def healthcheck_code() -> str:
    healthcheck = dict(dockerfile_instructions(DOCKERFILE))["HEALTHCHECK"]
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3 :])
    assert command[:2] == ["python", "-c"]
    return command[2]


@pytest.mark.processes
def test_dockerfile_health_check_works_against_a_real_node(tmp_path, settings):
    port = free_port()
    env = {**os.environ, "BLOEI_PORT": str(port)}
    check = [sys.executable, "-c", healthcheck_code()]
    with served([str(BLOEI), "serve", "--data", str(settings.data_dir)], port, env, tmp_path):
        assert run(check, env=env).returncode == 0
    assert run(check, env=env).returncode != 0, "the health check must fail when nothing runs"


FAKE_COMPOSE = """\
import sys
with open(sys.argv[1], "a") as log:
    log.write(" ".join(sys.argv[2:]) + "\\n")
if "init" in sys.argv:
    print("One-time password: abcd-efgh")
sys.exit(3 if "up" in sys.argv else 0)
"""


def test_check_pilot_runs_the_steps_in_its_own_project_and_cleans_up(tmp_path):
    """The container check (run where Docker is) against a compose that fails at `up`."""
    fake, calls = tmp_path / "fake_compose.py", tmp_path / "calls.txt"
    fake.write_text(FAKE_COMPOSE)
    compose = f"{sys.executable} {fake} {calls}"
    check = [sys.executable, str(DEPLOY / "container" / "check_pilot.py"), "--compose", compose]
    done = run([*check, "--python-image", "mirror.example/python:3.11-slim"])
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["FAILED: docker compose up: up -d exited with 3: no output"]
    lines = calls.read_text().splitlines()
    project = f"-p bloei-pilot-check -f {DEPLOY / 'container' / 'compose.yaml'}"
    assert all(line.startswith(project) for line in lines)
    steps = [line.removeprefix(project).strip() for line in lines]
    assert steps[0] == "build --build-arg PYTHON_IMAGE=mirror.example/python:3.11-slim"
    assert [s.split()[2] for s in steps[1:4]] == ["gemeente", "beesd", "heukelum"]
    assert "--url http://127.0.0.1:8001" in steps[2] and "--role gemeente" in steps[1]
    # Whatever failed, its containers and volumes are removed.
    assert steps[4:] == ["up -d", "down -v"]


def test_compose_runs_the_pilot_with_one_volume_each():
    compose = load_yaml(COMPOSE)
    services = compose["services"]
    assert set(services) == {"gemeente", "beesd", "heukelum"}
    expected_ports = {"gemeente": 8000, "beesd": 8001, "heukelum": 8002}
    volumes = set()
    for name, service in services.items():
        port = expected_ports[name]
        # The host's network, on loopback only: the three federate on 127.0.0.1 as the
        # pilot does, and nothing is published beyond this machine.
        assert service["network_mode"] == "host", name
        assert "ports" not in service, name
        env = service["environment"]
        assert env["BLOEI_HOST"] == "127.0.0.1", name
        assert env["BLOEI_PORT"] == str(port), name
        assert service["command"] == ["bloei", "serve", "--dev"], name
        if name != "gemeente":
            assert env["BLOEI_GEMEENTE_ACTOR"] == "http://127.0.0.1:8000/actor", name
        assert service["build"]["dockerfile"] == "deploy/container/Dockerfile"
        assert (
            COMPOSE.parent / service["build"]["context"] / "deploy/container/Dockerfile"
        ).is_file()
        (mount,) = service["volumes"]
        volume, _, target = mount.partition(":")
        volumes.add(volume)
        # A folder inside the mount, never the mount itself: restore swaps it by renaming.
        assert Path(env["BLOEI_DATA"]).parent == Path(target), name
    assert len(volumes) == 3 and volumes == set(compose["volumes"])


# --- publiccode.yml and LICENSE --------------------------------------------------------------

# The controlled vocabularies of the publiccode.yml standard (categories-list, scope-list).
_CATEGORIES = """
accounting agile-project-management applicant-tracking application-development
appointment-scheduling backup billing-and-invoicing blog budgeting business-intelligence
business-process-management cad call-center-management cloud-management collaboration
communications compliance-management contact-management content-management crm
customer-service-and-support data-analytics data-collection data-visualization design
design-system digital-asset-management digital-citizenship document-management
donor-management e-commerce e-signature educational-content email-management email-marketing
employee-management enterprise-project-management enterprise-social-networking erp
event-management facility-management feedback-and-reviews-management financial-reporting
fleet-management fundraising gamification geographic-information-systems grant-management
graphic-design help-desk hr ide identity-management instant-messaging inventory-management
it-asset-management it-development it-management it-security it-service-management
knowledge-management learning-management-system marketing mind-mapping mobile-marketing
mobile-payment network-management office online-booking online-community payment-gateway
payroll predictive-analysis procurement productivity-suite project-collaboration
project-management property-management real-estate-management remote-support
resource-management sales-management seo service-desk social-media-management survey
talent-management task-management taxes-management test-management time-management
time-tracking translation video-conferencing video-editing visitor-management voip
warehouse-management web-collaboration web-conferencing website-builder whistleblowing
workflow-management
"""
_SCOPES = """
agriculture culture defence education emergency-services employment energy environment
finance-and-economic-development foreign-affairs healthcare infrastructures justice
local-authorities manufacturing research science-and-technology security society sport
tourism transportation welfare
"""
PUBLICCODE_CATEGORIES = set(_CATEGORIES.split())
PUBLICCODE_SCOPES = set(_SCOPES.split())
SOFTWARE_TYPES = {
    "standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web",
    "standalone/backend", "standalone/other", "addon", "library", "configurationFiles",
}  # fmt: skip


def test_publiccode_yml_has_what_the_standard_requires():
    code = load_yaml(ROOT / "publiccode.yml")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {
        "publiccodeYmlVersion", "name", "url", "platforms", "categories", "developmentStatus",
        "softwareType", "description", "legal", "maintenance", "localisation",
    }  # fmt: skip
    assert required <= set(code), required - set(code)
    assert code["publiccodeYmlVersion"] == "0.4"
    assert code["name"] == "Bloei"
    assert re.fullmatch(r"https://[^\s/]+/\S+", code["url"])
    assert code["softwareVersion"] == project["version"]
    assert isinstance(code["releaseDate"], str)  # quoted: a YAML date would lose the format
    date.fromisoformat(code["releaseDate"])
    assert code["platforms"] == ["web"]
    assert code["categories"] and set(code["categories"]) <= PUBLICCODE_CATEGORIES
    assert set(code["intendedAudience"]["scope"]) <= PUBLICCODE_SCOPES
    assert code["developmentStatus"] in {"concept", "development", "beta", "stable", "obsolete"}
    assert code["softwareType"] in SOFTWARE_TYPES
    assert set(code["description"]) == {"nl", "en"}
    for language, text in code["description"].items():
        assert 0 < len(text["shortDescription"]) <= 150, language
        assert "\n" not in text["shortDescription"].strip(), language
        assert 150 <= len(text["longDescription"]) <= 10000, language
        assert text["features"] and all(isinstance(f, str) for f in text["features"]), language
    assert code["legal"]["license"] == project["license"] == "EUPL-1.2"
    maintenance = code["maintenance"]
    assert maintenance["type"] in {"internal", "contract", "community", "none"}
    if maintenance["type"] in ("internal", "community"):
        assert maintenance["contacts"] and all(c["name"] for c in maintenance["contacts"])
    localisation = code["localisation"]
    assert localisation["localisationReady"] is True
    assert "nl" in localisation["availableLanguages"]
    assert {d["name"] for d in code["dependsOn"]["open"]} == {"Python", "SQLite"}


# The EUPL-1.2 text as the SPDX licence list ships it (npm package spdx-license-list).
EUPL_SHA256 = "57fb42fbcd0b037ce528ed8f72f1ec095d67bc6825ecf1448ff39be1fe68a4b4"


def test_license_is_the_eupl_1_2_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\n")
    assert "Appendix" in text and "Compatible Licences" in text
    assert hashlib.sha256(text.encode()).hexdigest() == EUPL_SHA256


# --- the hosting guide -----------------------------------------------------------------------


def test_hosting_guide_refers_to_what_exists():
    guide = HOSTING.read_text()
    # Every file of deploy/ that the guide names is there, and every unit is installed by it.
    named = set(re.findall(r"/opt/bloei-src/(deploy/[\w@./-]+)", guide))
    named |= {f"deploy/{p}" for p in re.findall(r"(?<![/\w])((?:systemd|backup)/[\w@.-]+)", guide)}
    assert named, "the guide names no files of deploy/"
    for path in named:
        assert (ROOT / path.rstrip(".")).exists(), path
    for unit in SYSTEMD.iterdir():
        assert f"systemd/{unit.name}" in guide, f"the guide does not install {unit.name}"
    # Every bloei command it tells a volunteer to type exists (`sudo -u bloei bloei init`).
    fenced = re.findall(r"```\w*\n(.*?)```", guide, re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", guide, flags=re.S))
    code = "\n".join(fenced + inline)
    commands = re.findall(r"(?<!-u )\bbloei ([a-z][\w-]*)(?: ([a-z][\w-]*))?", code)
    assert {"init", "serve", "backup", "restore", "user"} <= {c for c, _ in commands}
    for command, action in commands:
        assert command in COMMANDS, command
        if command == "user":
            assert action in USER_COMMANDS, action
    # ... and each step, in a code block or inline with its data folder, is a valid command
    # line as written (`bloei import ... --force`).
    parser = build_parser()
    steps = "\n".join(fenced + [text for text in inline if "--data" in text])
    for line in re.findall(r"(?<!-u )\bbloei ([a-z][^\n`|;&<>]*)", steps):
        try:
            parser.parse_args(shlex.split(line))
        except SystemExit:
            pytest.fail(f"the guide's `bloei {line}` is not a valid command")
    # Settings it sets through the environment are real settings (BLOEI_DATA is the data
    # folder that every command reads, not a setting).
    for name in set(re.findall(r"\bBLOEI_([A-Z_]+)=", guide)) - {"DATA"}:
        assert name.lower() in Settings.__dataclass_fields__, name
    # The options it gives bloei-backup are the script's own.
    for option in re.findall(r"bloei-backup %i [^\n]*", guide):
        for flag in re.findall(r"--[\w-]+", option):
            assert flag in BACKUP_SCRIPT.read_text(), flag
