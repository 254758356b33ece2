"""Static files under versioned URLs, so a phone on a slow line fetches each one only once.

A page links `/static/bloei.css?v=<hash>`: the hash is of the file's bytes, computed once when
the process starts (the files only change with a new release, and a release restarts the
node). An answer to the current versioned URL may be kept for a year without asking again
(`immutable`, RFC 8246); a new release has new hashes, so new URLs, and nobody sees an old
style sheet. The plain URL (and an old version) keeps working with a short cache lifetime, for
links from outside and from pages cached before the release.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# A year, the longest lifetime RFC 9111 §5.2.2.1 lets caches rely on in practice.
IMMUTABLE = "public, max-age=31536000, immutable"
# The plain URL: short, so a release reaches a returning visitor within minutes.
SHORT = "public, max-age=300"
# Enough of the SHA-256 to tell two versions of a file apart.
VERSION_LENGTH = 12


def content_version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:VERSION_LENGTH]


class StaticAssets:
    """The version of every file in `directory`, read once; `url(name)` is its page link."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.versions = {
            path.relative_to(directory).as_posix(): content_version(path.read_bytes())
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        version = self.versions.get(name)
        # A name that is not a file here is a mistake in a template: fail loudly in tests.
        if version is None:
            raise KeyError(f"no static file {name!r}")
        return f"/static/{name}?v={version}"


class VersionedStaticFiles(StaticFiles):
    """StaticFiles that sets the cache lifetime by whether the URL names the current version."""

    def __init__(self, assets: StaticAssets):
        super().__init__(directory=assets.directory)
        self.assets = assets

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(full_path).resolve().relative_to(self.assets.directory.resolve()).as_posix()
        asked = QueryParams(scope.get("query_string", b"")).get("v")
        current = self.assets.versions.get(name)
        fixed = asked is not None and asked == current
        response.headers["Cache-Control"] = IMMUTABLE if fixed else SHORT
        return response


class RandomlyNamedFiles(StaticFiles):
    """The media folder: every file in it has a random name made when it was stored (a photo,
    a logo), and a new upload gets a new name, so what a name holds never changes."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


@functools.cache
def release_assets(directory: Path) -> StaticAssets:
    """The files of this release, hashed once per process: the pages' links and the static
    route of every app in the process (a host serves several kernen) use the same versions."""
    return StaticAssets(directory)
