"""One settings object, read in one place: the node's TOML file, then BLOEI_* variables.

`bloei init` writes `bloei.toml` into the data folder; everything else about a node (its
content, users, keys) lives in that folder too, so a backup of the folder is a backup of
the node.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import tomli_w

from node.addresses import parse_trusted_proxies
from node.email_address import is_email_address

CONFIG_FILE = "bloei.toml"
DATABASE_FILE = "bloei.db"
SECRET_FILE = "secret.key"
MEDIA_DIR = "media"
KEYS_DIR = "keys"
ROLES = ("kern", "gemeente")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


CONFIG_HEADER = "# Bloei node settings. BLOEI_<NAME> environment variables override these.\n"
# Line breaks and other control characters: a setting is one line of a page, a mail header or
# a log line, so none of these belongs in one.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line a host can act on."""


def check_one_line(name: str, value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise SettingsError(f"setting {name} must be one line of text, without line breaks or tabs")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    role: str = "kern"
    name: str = "Beesd"
    slug: str = "beesd"
    public_url: str = "http://127.0.0.1:8001"
    host: str = "127.0.0.1"
    port: int = 8001
    dev: bool = False
    secret_key: str = ""
    # The kern's own colours, as design tokens (see templates/static/tokens.css).
    colour_primary: str = "#1f6f43"
    colour_accent: str = "#f2b705"
    session_days: int = 14
    session_idle_hours: int = 12
    login_attempts: int = 5
    login_window_minutes: int = 15
    # Reverse proxies whose X-Forwarded-For / X-Real-IP name the visitor (comma-separated
    # addresses or networks): loopback, as Caddy and nginx in deploy/ connect from there.
    trusted_proxies: str = "127.0.0.1,::1"
    page_cache: bool = True
    # Background jobs (mail, privacy cleanup) in the server process; tests and the bench
    # switch them off, `bloei worker` runs the same jobs in a process of its own.
    background_jobs: bool = True
    # Outgoing mail. Without smtp_host and smtp_from mail waits in the queue, unsent.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    # Only from BLOEI_SMTP_PASSWORD or smtp_password_file, never from bloei.toml; kept out
    # of repr so it cannot end up in a log line or a traceback.
    smtp_password: str = field(default="", repr=False)
    smtp_password_file: str = ""
    smtp_from: str = ""
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    mail_retry_hours: int = 72
    # A group larger than this must give an e-mail address and confirm it before its places
    # count; the link in that mail works for rsvp_confirm_hours.
    rsvp_people_without_confirmation: int = 4
    rsvp_confirm_hours: int = 48
    # Days residents' contact details are kept after the meeting, the decision or sign-up.
    privacy_retention_days: int = 90
    # Federation. The gemeente's actor id: its Follow is always accepted, and it may send
    # this kern gemeentebericht and reacties.
    gemeente_actor: str = ""
    # "auto" accepts every follow; "manual" lets a beheerder approve each (beheer can change it).
    follow_approval: str = "auto"
    # Tests and the pilot: retry a failed delivery after this many seconds instead of the
    # protocol's 1 minute ... 24 hours. 0 keeps the protocol's schedule.
    delivery_retry_seconds: int = 0
    # The longest one delivery may take, connecting and answering included: a follower that
    # does not answer delays only its own deliveries, and only this long.
    delivery_timeout_seconds: int = 10
    # Gemeente: seconds between two pulls of a kern's outbox (push brings changes at once;
    # the pull catches what a kern that was down or a lost delivery missed).
    pull_interval_seconds: int = 900
    # Gemeente: a TOML file listing all kernen of the municipality (name, kind, inhabitants,
    # centre), relative to the data folder; empty: West Betuwe's 26, shipped with Bloei.
    places_file: str = ""
    # Where to report a security problem (/.well-known/security.txt): an e-mail address or an
    # https URL. Empty: the group's contact address from beheer.
    security_contact: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def media_dir(self) -> Path:
        return self.data_dir / MEDIA_DIR

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / KEYS_DIR

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def url(self, path: str) -> str:
        """The absolute, stable URL of a path on this node: the id of a public object."""
        return self.public_url.rstrip("/") + path

    def with_changes(self, **changes) -> Settings:
        return replace(self, **changes)


def validate_public_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"public URL {url!r} must start with http:// or https:// and name a host"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(f"public URL {url!r} must be the site's root, without a path")
    return f"{parts.scheme}://{parts.netloc}"


def validate_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise SettingsError(
            f"name {slug!r} gives no usable short name: use letters a-z, digits and hyphens"
        )
    return slug


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].strip("-")


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(
            f"no {CONFIG_FILE} in {path.parent}: run 'bloei init' first or name the right --data folder"
        ) from None
    except PermissionError:
        raise SettingsError(f"cannot read {path}: permission denied") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from None


def _coerce(name: str, value, default):
    """Turn a TOML or environment value into the type of the default, or say which is wrong."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"setting {name} must be true or false, not {value!r}")
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"setting {name} must be a whole number, not {value!r}") from None
    if not isinstance(value, str):
        raise SettingsError(f"setting {name} must be text, not {value!r}")
    return value


def load_settings(data_dir: Path | str, environ: dict | None = None, **overrides) -> Settings:
    """Read a node's settings: its TOML file, then BLOEI_* variables, then explicit overrides."""
    environ = os.environ if environ is None else environ
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise SettingsError(f"data folder {data_dir} does not exist: run 'bloei init' first")
    if not os.access(data_dir, os.R_OK | os.X_OK):
        raise SettingsError(f"data folder {data_dir} is not readable")
    raw = _read_toml(data_dir / CONFIG_FILE)
    defaults = Settings(data_dir=data_dir)
    known = {f for f in Settings.__dataclass_fields__ if f not in ("data_dir", "extra")}
    values: dict = {}
    for key, value in raw.items():
        if key == "smtp_password":
            raise SettingsError(
                f"{CONFIG_FILE}: put the SMTP password in BLOEI_SMTP_PASSWORD or in a file "
                "named by smtp_password_file, not in the settings file"
            )
        if key not in known or key == "secret_key":
            raise SettingsError(f"{CONFIG_FILE}: unknown setting {key!r}")
        values[key] = _coerce(key, value, getattr(defaults, key))
    for key in known:
        env_name = "BLOEI_" + key.upper()
        if env_name in environ:
            values[key] = _coerce(key, environ[env_name], getattr(defaults, key))
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = replace(defaults, **values)
    _check(settings)
    if not settings.smtp_password and settings.smtp_password_file:
        settings = replace(settings, smtp_password=_read_password_file(settings))
    if not settings.secret_key:
        settings = replace(settings, secret_key=read_secret(data_dir))
    return settings


def _check(settings: Settings) -> None:
    for name in Settings.__dataclass_fields__:
        value = getattr(settings, name)
        if isinstance(value, str) and name != "smtp_password":
            check_one_line(name, value)
    if settings.role not in ROLES:
        raise SettingsError(f"role must be one of {', '.join(ROLES)}, not {settings.role!r}")
    validate_slug(settings.slug)
    validate_public_url(settings.public_url)
    for name in ("colour_primary", "colour_accent"):
        if not HEX_COLOUR_RE.match(getattr(settings, name)):
            raise SettingsError(f"setting {name} must be a colour like #1f6f43")
    if not 0 < settings.port < 65536:
        raise SettingsError(f"port {settings.port} is not between 1 and 65535")
    if not 0 < settings.smtp_port < 65536:
        raise SettingsError(f"smtp_port {settings.smtp_port} is not between 1 and 65535")
    if settings.smtp_host and not is_email_address(settings.smtp_from):
        raise SettingsError("setting smtp_from must be an e-mail address when smtp_host is set")
    if not 1 <= settings.rsvp_people_without_confirmation <= 20:
        raise SettingsError("setting rsvp_people_without_confirmation must be from 1 to 20")
    for name in (
        "privacy_retention_days",
        "mail_retry_hours",
        "rsvp_confirm_hours",
        "session_days",
        "session_idle_hours",
        "login_attempts",
        "login_window_minutes",
    ):
        if getattr(settings, name) < 1:
            raise SettingsError(f"setting {name} must be 1 or more")
    if settings.follow_approval not in ("auto", "manual"):
        raise SettingsError("setting follow_approval must be auto or manual")
    if settings.gemeente_actor:
        parts = urlsplit(settings.gemeente_actor)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "setting gemeente_actor must be the gemeente's actor URL, "
                "like https://gemeente.example/actor"
            )
    if settings.delivery_retry_seconds < 0:
        raise SettingsError("setting delivery_retry_seconds must be 0 or more")
    if not 1 <= settings.delivery_timeout_seconds <= 60:
        # Within the 90 s lease of a claimed delivery (federation/delivery.py).
        raise SettingsError("setting delivery_timeout_seconds must be from 1 to 60")
    if settings.pull_interval_seconds < 1:
        raise SettingsError("setting pull_interval_seconds must be 1 or more")
    contact = settings.security_contact
    if contact and not (
        contact.startswith("https://") or re.match(r"^(mailto:)?[^@\s<>,;]+@[^@\s<>,;]+$", contact)
    ):
        raise SettingsError("setting security_contact must be an e-mail address or an https:// URL")
    try:
        parse_trusted_proxies(settings.trusted_proxies)
    except ValueError as error:
        raise SettingsError(f"setting trusted_proxies: {error}") from None


def _read_password_file(settings: Settings) -> str:
    # Relative to the data folder, so a node folder moves as a whole.
    path = settings.data_dir / settings.smtp_password_file
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SettingsError(f"smtp_password_file {path} does not exist") from None
    except (PermissionError, IsADirectoryError, UnicodeDecodeError):
        raise SettingsError(f"cannot read smtp_password_file {path}") from None


def write_private_file(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def create_secret(data_dir: Path) -> str:
    secret = secrets.token_urlsafe(48)
    write_private_file(data_dir / SECRET_FILE, secret.encode())
    return secret


def read_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    try:
        secret = path.read_text().strip()
    except FileNotFoundError:
        raise SettingsError(
            f"{path} is missing: the node's secret was lost; restore a backup"
        ) from None
    except PermissionError:
        raise SettingsError(f"cannot read {path}: permission denied") from None
    if len(secret) < 32:
        raise SettingsError(f"{path} holds no usable secret")
    return secret


def write_config(data_dir: Path, values: dict) -> None:
    """Write bloei.toml; values are plain strings, numbers and booleans, each on one line."""
    for key, value in values.items():
        if isinstance(value, str):
            check_one_line(key, value)
    text = CONFIG_HEADER + tomli_w.dumps(values)
    (data_dir / CONFIG_FILE).write_text(text, encoding="utf-8")
