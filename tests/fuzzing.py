"""Property-based fuzzing of a node's forms and query parameters, shared by the tests and
bench/fuzz.py.

Nothing here lists forms or parameters by hand, so a new route, form or filter is fuzzed
without anyone remembering to add it:

* the routes come from the app's route table;
* the values for path parameters come from crawling the node's own pages: every link that
  matches a route gives a real slug or id, next to hostile ones;
* the fields of each POST form come from the forms on those pages, with their values as
  the page fills them in, so a fuzzed request can get past the fields it leaves alone;
* the query parameter names come from the forms with method GET, from the node's source
  (every `query_params.get("...")` and every API parameter list) and from the API's
  OpenAPI documents.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from starlette.routing import Route

SOURCE = Path(__file__).resolve().parent.parent / "node"
# Numbers and texts that made nodes fail before, and their relatives.
HOSTILE = [
    "²",
    "٣",
    "１２",
    "߁",
    "9" * 5000,
    "9" * 19,
    str(2**63),
    str(2**64),
    "-1",
    "0",
    "00000000000000000000001",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e999999",
    "1_000",
    "0x1F",
    " 1 ",
    "",
    "\x00",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "2026-02-30",
    "9999-12-31T99:99",
    "25:61",
    "🌷" * 300,
    "x" * 20_000,
]
# Never fuzzed: signing out would end the session the rest of the run needs.
SKIPPED_PATHS = ("/beheer/uitloggen",)

_LINK = re.compile(r'href="(/[^"#]*)"')
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_INPUT = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
_ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')
_OPTION = re.compile(r'<option\b[^>]*value="([^"]*)"', re.I)


def values() -> st.SearchStrategy[str]:
    """Any text a browser can send: hostile numbers, Unicode, long and empty strings."""
    printable = st.characters(blacklist_categories=("Cs",))
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(printable, max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.from_regex(r"[0-9]{1,40}", fullmatch=True),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
    )


@dataclass
class Target:
    """One route and method, with what the node's pages say it takes."""

    method: str
    path: str  # the route's path template, {name} or {name:convertor}
    params: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Map:
    """What crawling a node found: routes to fuzz, real path values, parameter names."""

    targets: list[Target]
    path_values: dict[str, list[str]]
    query_names: list[str]
    pages: int


def source_query_names(root: Path = SOURCE) -> set[str]:
    """Every query parameter the node's code reads by name."""
    names: set[str] = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        names.update(re.findall(r'query_params\.get\(\s*"([^"]+)"', text))
        for group in re.findall(r"query_params\(\s*request,\s*\(([^)]*)\)", text):
            names.update(re.findall(r'"([^"]+)"', group))
    return names


def _attrs(text: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v) for k, v in _ATTR.findall(text)}


def _form_fields(body: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for tag, attr_text in _INPUT.findall(body):
        attrs = _attrs(attr_text)
        name = attrs.get("name")
        if not name or name in fields:
            continue
        if tag.lower() == "select":
            after = body[body.find(attr_text) :]
            option = _OPTION.search(after)
            fields[name] = html.unescape(option.group(1)) if option else ""
        elif attrs.get("type") in ("checkbox", "radio"):
            fields[name] = attrs.get("value", "on")
        else:
            fields[name] = attrs.get("value", "")
    return fields


def routes_of(app) -> list[Route]:
    return [r for r in app.routes if isinstance(r, Route)]


async def crawl(app, client: httpx.AsyncClient, starts: list[str], limit: int = 250) -> Map:
    """Follow the node's own links from `starts`; collect forms, path values and names."""
    routes = routes_of(app)
    post_forms: dict[str, dict[str, str]] = defaultdict(dict)
    get_names: set[str] = set()
    path_values: dict[str, set[str]] = defaultdict(set)
    queue, seen = list(starts), set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or path.startswith(("/static/", "/media/")) or path in SKIPPED_PATHS:
            continue
        seen.add(path)
        response = await client.get(path)
        assert response.status_code < 500, f"GET {path}: {response.status_code}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = response.text
        queue.extend(html.unescape(link) for link in _LINK.findall(page))
        for attr_text, body in _FORM.findall(page):
            attrs = _attrs(attr_text)
            action = urlsplit(attrs.get("action") or path).path
            if attrs.get("method", "get").lower() == "post":
                post_forms[action].update(_form_fields(body))
            else:
                get_names.update(_form_fields(body))
    for path in [*seen, *post_forms]:
        for route in routes:
            match = route.path_regex.match(urlsplit(path).path)
            if match:
                for name, value in match.groupdict().items():
                    path_values[name].add(value)
    openapi = set()
    for document in ("/api/v1/openapi.json",):
        response = await client.get(document)
        if response.status_code == 200:
            for item in response.json().get("paths", {}).values():
                for operation in item.values():
                    for parameter in (
                        operation.get("parameters", []) if isinstance(operation, dict) else []
                    ):
                        if parameter.get("in") == "query":
                            openapi.add(parameter["name"])
    targets = []
    for route in routes:
        if route.path in SKIPPED_PATHS:
            continue
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            fields = _fields_for(route, post_forms) if method == "POST" else {}
            targets.append(Target(method, route.path, tuple(route.param_convertors), fields))
    names = get_names | source_query_names() | openapi
    names.discard("csrf")
    return Map(
        targets,
        {k: sorted(v) for k, v in path_values.items()},
        sorted(names),
        len(seen),
    )


def _fields_for(route: Route, post_forms: dict[str, dict[str, str]]) -> dict[str, str]:
    """The fields of the forms that post to this route; all known ones if none was seen."""
    fields: dict[str, str] = {}
    for action, found in post_forms.items():
        if route.path_regex.match(action):
            fields.update(found)
    if not fields:
        for found in post_forms.values():
            for name in found:
                fields.setdefault(name, "")
    return fields


def _fit(value: str, limit: int = 12_000) -> str:
    while len(quote(value)) > limit:
        value = value[: len(value) // 2]
    return value


@st.composite
def requests(draw, site: Map, csrf: str):
    """(method, url, query params, form data) for one fuzzed request."""
    target = draw(st.sampled_from(site.targets))
    url = target.path
    for name in target.params:
        known = site.path_values.get(name, []) or ["1"]
        value = draw(st.one_of(st.sampled_from(known), values()))
        url = re.sub(r"\{" + name + r"(:[a-z]+)?\}", quote(value, safe="") or "x", url)
    params = draw(st.dictionaries(st.sampled_from(site.query_names), values(), max_size=4))
    # httpx sends at most 64 KiB of query string (servers take less): long values are cut.
    params = {name: _fit(value) for name, value in params.items()}
    data: dict[str, str] = {}
    if target.method == "POST":
        data = dict(target.fields)
        if data:
            changed = draw(st.lists(st.sampled_from(sorted(data)), max_size=4, unique=True))
            for name in changed:
                data[name] = draw(values())
        data["csrf"] = csrf
        params = {}
    return target.method, url, params, data


# The numbers behind the 500s found before: every field and parameter gets each of them.
SWEEP = ["²", "٣", "9" * 5000, str(2**63), "NaN", "Infinity", "1e999999"]
# One of each kind, for the quick run in the test suite.
QUICK_SWEEP = ["²", "9" * 5000, str(2**63), "NaN"]
# bench/fuzz.py sets these for its longer run; the test suite keeps the defaults: a bounded
# number of examples, the same ones every run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SEED = os.environ.get("FUZZ_SEED")


def sweep_values() -> list[str]:
    return SWEEP if os.environ.get("FUZZ_SWEEP") == "full" else QUICK_SWEEP


def sweep(site: Map, csrf: str, value: str) -> list[tuple]:
    """For every target: `value` in every query parameter (GET) or form field (POST), with
    real path values; and `value` in every path parameter."""
    found = []
    for target in site.targets:
        real = target.path
        hostile = target.path
        for name in target.params:
            known = (site.path_values.get(name) or ["1"])[0]
            pattern = r"\{" + name + r"(:[a-z]+)?\}"
            real = re.sub(pattern, quote(known, safe=""), real)
            hostile = re.sub(pattern, quote(value, safe=""), hostile)
        if target.method == "GET":
            # As many names a request as fit in a query string httpx sends (64 KiB).
            size = max(1, 40_000 // (len(quote(value)) + 20))
            for start in range(0, len(site.query_names), size):
                names = site.query_names[start : start + size]
                found.append(("GET", real, dict.fromkeys(names, value), {}))
        else:
            data = {**dict.fromkeys(target.fields, value), "csrf": csrf}
            found.append((target.method, real, {}, data))
        if hostile != real:
            data = {"csrf": csrf} if target.method != "GET" else {}
            found.append((target.method, hostile, {}, data))
    return found


async def send(client: httpx.AsyncClient, request) -> httpx.Response:
    method, url, params, data = request
    if method == "GET":
        return await client.get(url, params=params)
    return await client.request(method, url, params=params, data=data)


def describe(request, response: httpx.Response) -> str:
    method, url, params, data = request
    shorten = {k: (v[:60] + "…" if len(v) > 60 else v) for k, v in {**params, **data}.items()}
    return f"{method} {url} {shorten} -> {response.status_code}"


def fuzz_settings(examples: int) -> settings:
    """Bounded and deterministic (unless bench/fuzz.py gives a seed); no example database."""
    return settings(
        max_examples=examples,
        derandomize=SEED is None,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# --- inbox bodies ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["@context", "id", "type", "actor", "object", "to", "proof", "target"]


@st.composite
def activity_bodies(draw, template: Callable[[int], dict]) -> bytes:
    """Bodies shaped like activities with wrong types, arbitrary JSON, deep nesting, junk."""
    kind = draw(st.sampled_from(["shaped", "json", "deep", "deep_field", "bytes"]))
    if kind in ("deep", "deep_field"):
        depth = draw(st.integers(min_value=60, max_value=200_000))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        deep = opener * depth + b"1" + closer * depth
        if kind == "deep":
            return deep
        # A real activity with one field nested deeply: it passes every check but depth.
        shaped = json.dumps(template(draw(st.integers(min_value=1, max_value=10**6))))
        return shaped[:-1].encode() + b', "x": ' + deep + b"}"
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    activity = template(draw(st.integers(min_value=1, max_value=10**6)))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        activity[name] = draw(JSON)
    return json.dumps(activity).encode()


def table_rows(db) -> dict[str, int]:
    tables = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {t["name"]: db.scalar(f'SELECT count(*) FROM "{t["name"]}"') for t in tables}
