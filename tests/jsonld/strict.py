"""Reading documents the way the strictest JSON-LD peer reads them.

`expand` runs a real JSON-LD processor (pyld) over a document. Its document loader serves only
local copies of the context documents, from the official npm packages that `make contexts`
installs next to this file (`package.json`, pinned by `package-lock.json`), and Bloei's own
context document; it never touches the network.

`problems` lists everything a strict reader would lose or misread: a term that does not expand
to an absolute IRI (the ActivityStreams context maps unknown terms to blank nodes with
`"@vocab": "_:"`), an id or type that is not an absolute IRI, a typed value whose text is not
of its type (a date that is no xsd:date, a number sent as text, ...), and a link that the
context leaves a plain string instead of an `@id`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pyld import jsonld

from federation import vocabulary

MODULES = Path(__file__).parent / "node_modules"
# Context URL -> file in the npm package that publishes it.
CONTEXT_FILES = {
    vocabulary.AS_CONTEXT: "activitystreams-context/context.json",
    vocabulary.SECURITY_V1: "security-context/contexts/security-v1.jsonld",
    "https://w3id.org/security/v2": "security-context/contexts/security-v2.jsonld",
    vocabulary.DATA_INTEGRITY_V2: (
        "@digitalbazaar/data-integrity-context/contexts/data-integrity-v2.jsonld"
    ),
    "https://w3id.org/security/data-integrity/v1": (
        "@digitalbazaar/data-integrity-context/contexts/data-integrity-v1.jsonld"
    ),
    vocabulary.MULTIKEY_V1: "@digitalbazaar/multikey-context/contexts/multikey-v1.jsonld",
}
# Set before any document's own context: a term that no context defines shows up under it,
# also in a document without the ActivityStreams context (which itself says "_:").
UNDEFINED = "urn:undefined:"
XSD = "http://www.w3.org/2001/XMLSchema#"
VALUE_CHECKS: dict[str, Callable[[Any], bool]] = {
    XSD + "dateTime": lambda v: (
        isinstance(v, str)
        and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", v) is not None
    ),
    XSD + "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v) is not None,
    XSD + "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    XSD + "boolean": lambda v: isinstance(v, bool),
}


def contexts_installed() -> bool:
    return all((MODULES / path).is_file() for path in CONTEXT_FILES.values())


def require_contexts() -> None:
    """Skip without the npm contexts on a developer's machine; on CI their absence fails."""
    if contexts_installed():
        return
    message = "the JSON-LD context packages are missing: run `make contexts`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _load_file(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def make_loader(extra: dict[str, Any] | None = None) -> Callable[[str, dict], dict]:
    """A pyld document loader serving the local contexts and `extra` (URL -> document)."""
    documents = official_contexts()
    documents.update(extra or {})

    def load(url: str, options: dict | None = None) -> dict[str, Any]:
        if url not in documents:
            raise jsonld.JsonLdError(
                f"no local copy of the context {url}", "jsonld.LoadDocumentError",
                code="loading remote context failed",
            )  # fmt: skip
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return load


def expand(document: Any, loader: Callable[[str, dict], dict] | None = None) -> list[Any]:
    return jsonld.expand(
        document,
        {
            "documentLoader": loader or make_loader(),
            "expandContext": {"@vocab": UNDEFINED},
            # No base: a relative IRI stays relative and is reported, not resolved.
            "base": None,
        },
    )


def problems(document: Any, loader: Callable[[str, dict], dict] | None = None) -> list[str]:
    """What a strict JSON-LD reader would drop or misread in `document`; empty when none."""
    found: list[str] = []
    _walk(expand(document, loader), "$", found)
    return found


def _absolute(iri: Any) -> bool:
    if not isinstance(iri, str) or iri.startswith(("_:", UNDEFINED)):
        return False
    parts = urlsplit(iri)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _walk(value: Any, where: str, found: list[str]) -> None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{where}[{index}]", found)
        return
    if not isinstance(value, dict):
        return
    if "@value" in value:
        kind = value.get("@type")
        if kind is not None and not _absolute(kind):
            found.append(f"{where}: value type {kind!r} is not an absolute IRI")
        check = VALUE_CHECKS.get(kind)
        if check is not None and not check(value["@value"]):
            found.append(f"{where}: {value['@value']!r} is not a {kind}")
        text = value["@value"]
        if kind is None and isinstance(text, str) and re.fullmatch(r"https?://\S+", text):
            found.append(f"{where}: the link {text!r} is read as text, not as an @id")
        return
    for key, item in value.items():
        if key == "@id":
            if not _absolute(item):
                found.append(f"{where}: id {item!r} is not an absolute IRI")
        elif key == "@type":
            for kind in item if isinstance(item, list) else [item]:
                if not _absolute(kind):
                    found.append(f"{where}: type {_name(kind)!r} is not defined")
        elif key.startswith("@"):
            _walk(item, f"{where}.{key}", found)
        else:
            if not _absolute(key):
                found.append(f"{where}: term {_name(key)!r} is not defined")
            _walk(item, f"{where}.{key}", found)


def _name(iri: str) -> str:
    """The term as the document wrote it, for a term that expanded to nothing useful."""
    return iri.removeprefix(UNDEFINED).removeprefix("_:")


def official_contexts() -> dict[str, Any]:
    """The official context documents by URL, as federation.jsonld.Contexts takes them."""
    return {url: _load_file(MODULES / path) for url, path in CONTEXT_FILES.items()}
