"""Reading an actor's keys the way a JSON-LD processor reads them (FEP-521a).

A peer may write its actor document with any context: the security vocabulary's `sec:` prefix,
the Multikey context by URL, terms of its own defined inline. What a key means does not depend
on the names, only on the IRIs they expand to, so Bloei expands the document with a real
JSON-LD processor (pyld) and takes the proof keys from the expanded
`https://w3id.org/security#assertionMethod`: each a `Multikey` whose `controller` is the actor.
A term the document's context does not define is dropped, as every strict peer drops it.

Context documents named by URL come from `Contexts`: those given to it, and others fetched once
through the node's own fetcher (never more than `MAX_CONTEXTS`) and kept in memory. A context
that cannot be had raises `ContextUnavailable`; the caller decides what then (the key cache
reads the document as plain JSON, as most fediverse servers do).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from federation.vocabulary import LD_JSON_MEDIA


def _pyld() -> ModuleType:
    """pyld's processor, imported at its first use, deliberately: with `requests` under it, it
    takes some 13 MB of a node's memory, and a node needs it only to read the keys of a peer
    it has not met yet (the key cache keeps them after). Not to break an import cycle."""
    from pyld import jsonld

    return jsonld


SEC = "https://w3id.org/security#"
ASSERTION_METHOD = SEC + "assertionMethod"
CONTROLLER = SEC + "controller"
MULTIKEY = SEC + "Multikey"
PUBLIC_KEY_MULTIBASE = SEC + "publicKeyMultibase"
PUBLIC_KEY = SEC + "publicKey"
OWNER = SEC + "owner"
PUBLIC_KEY_PEM = SEC + "publicKeyPem"

MAX_CONTEXTS = 32  # context documents kept; a document naming more is not read
MAX_FETCHES = 8  # fetches for one document: a document naming a thousand URLs costs no more
MAX_NESTING = 4  # contexts that name contexts that name contexts...
RETRY_SECONDS = 3600.0  # a context that could not be fetched is tried again after this
MAX_FAILED = 256  # failed URLs remembered

FetchJson = Callable[..., Awaitable[tuple[str, Any]]]


class ContextUnavailable(Exception):
    """A context the document names could not be loaded, or the document does not expand."""


class Contexts:
    """JSON-LD context documents by URL, for expanding documents without surprises.

    `known` are given up front; `prepare` fetches the others (with the node's Fetcher.get_json)
    the first time a document names them, so expansion itself never waits on the network. One
    instance is shared by everything of a node that reads actors.
    """

    def __init__(
        self,
        known: Mapping[str, Mapping[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        fetching: bool = True,
    ) -> None:
        self._documents: dict[str, Mapping[str, Any]] = dict(known or {})
        self._failed: dict[str, float] = {}
        self._clock = clock
        # Off: only `known` contexts are used, and a document naming another is read as plain
        # JSON by the caller. Development mode (the pilot on a laptop, the process tests) runs
        # off, so nothing there ever goes to the contexts' hosts on the internet.
        self.fetching = fetching

    async def prepare(self, document: Any, fetch: FetchJson | None) -> None:
        """Fetch the contexts `document` names (and those they name) that are not known yet."""
        if fetch is None or not self.fetching:
            return
        pending = list(dict.fromkeys(context_urls(document)))
        budget = MAX_FETCHES
        for _depth in range(MAX_NESTING):
            fetched: list[Mapping[str, Any]] = []
            for url in pending:
                if url in self._documents or self._failed_lately(url):
                    continue
                if budget == 0 or len(self._documents) >= MAX_CONTEXTS:
                    return
                budget -= 1
                try:
                    _final, context = await fetch(url, accept=LD_JSON_MEDIA)
                except Exception:  # any failure alike: expansion reports the missing context
                    self._remember_failure(url)
                    continue
                if isinstance(context, Mapping) and "@context" in context:
                    self._documents[url] = context
                    fetched.append(context)
                else:
                    self._remember_failure(url)
            pending = list(dict.fromkeys(u for context in fetched for u in context_urls(context)))
            if not pending:
                return

    def _failed_lately(self, url: str) -> bool:
        return self._clock() - self._failed.get(url, float("-inf")) < RETRY_SECONDS

    def _remember_failure(self, url: str) -> None:
        if len(self._failed) >= MAX_FAILED:
            self._failed.pop(next(iter(self._failed)))  # the oldest: dicts keep order
        self._failed.pop(url, None)
        self._failed[url] = self._clock()

    def load(self, url: str, options: Any = None) -> dict[str, Any]:
        """pyld's document loader: known documents only, never the network."""
        found = self._documents.get(url)
        if found is None:
            raise _pyld().JsonLdError(
                f"the context {url} is not loaded",
                "jsonld.LoadDocumentError",
                code="loading remote context failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": found}


def context_urls(document: Any) -> Iterable[str]:
    """Every context URL a document names, at any depth (an embedded object's @context too)."""
    if isinstance(document, list):
        for item in document:
            yield from context_urls(item)
    elif isinstance(document, Mapping):
        for key, value in document.items():
            if key == "@context":
                for entry in value if isinstance(value, list) else [value]:
                    if isinstance(entry, str):
                        yield entry
                    elif isinstance(entry, Mapping):
                        yield from context_urls(entry)  # scoped contexts inside it
            else:
                yield from context_urls(value)


def expand(document: Any, contexts: Contexts) -> list[dict[str, Any]]:
    """The document expanded; ContextUnavailable when a context is missing or it is invalid."""
    jsonld = _pyld()
    try:
        return jsonld.expand(document, {"documentLoader": contexts.load, "base": None})
    except jsonld.JsonLdError as exc:
        raise ContextUnavailable(str(exc).splitlines()[0]) from exc


def published_keys(document: Any, actor_id: str, contexts: Contexts) -> dict[str, str]:
    """Key id -> key text (Multikey or PEM) of the keys the actor document publishes for
    itself, read from its expanded form: `assertionMethod` Multikeys whose `controller` is the
    actor, and `publicKey` entries owned by it; only keys on the actor's own origin, else a
    document could claim someone else's key id. ContextUnavailable when it cannot be expanded.
    """
    keys: dict[str, str] = {}
    for node in expand(document, contexts):
        if node.get("@id") != actor_id:
            continue
        for method in node.get(ASSERTION_METHOD, ()):
            if MULTIKEY not in method.get("@type", ()):
                continue
            if _link(method, CONTROLLER) != actor_id:
                continue  # FEP-521a: the controller is the actor
            multibase = _text(method, PUBLIC_KEY_MULTIBASE)
            if isinstance(method.get("@id"), str) and multibase:
                keys[method["@id"]] = multibase
        for key in node.get(PUBLIC_KEY, ()):
            pem = _text(key, PUBLIC_KEY_PEM)
            if isinstance(key.get("@id"), str) and pem and _link(key, OWNER) in (None, actor_id):
                keys[key["@id"]] = pem
    return {key_id: text for key_id, text in keys.items() if _origin(key_id) == _origin(actor_id)}


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _link(node: Mapping[str, Any], prop: str) -> str | None:
    values = node.get(prop) or ()
    value = values[0].get("@id") if values and isinstance(values[0], Mapping) else None
    return value if isinstance(value, str) else None


def _text(node: Mapping[str, Any], prop: str) -> str | None:
    values = node.get(prop) or ()
    value = values[0].get("@value") if values and isinstance(values[0], Mapping) else None
    return value if isinstance(value, str) else None
