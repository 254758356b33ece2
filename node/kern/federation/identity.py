"""The kern's own actor identity: its id and its keys, read from the data folder's keys/.

`bloei keys rotate` replaces the key files while the server may be running; `NodeIdentity`
notices (the files' inode and modification time change) and loads the new keys, so the server
signs with the published key without a restart.

Parsing an RSA private key costs about a tenth of a second (OpenSSL checks the key), so parsed
key pairs are kept by the files' content: every node and test that holds the same keys parses
them once per process.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from federation.identity import LocalIdentity
from federation.keys import (
    ED25519_KEY_FILE,
    RSA_KEY_FILE,
    KeyPair,
    KeyStorageError,
    has_key_pair,
    load_key_pair,
    load_or_create_key_pair,
)

# The path is shared with the gemeente (node/actor_paths.py); kern modules still read it here.
from node.actor_paths import ACTOR_PATH

_PARSED: dict[bytes, KeyPair] = {}
_PARSED_MAX = 64
_parse_lock = threading.Lock()


def ensure_keys(keys_dir: Path) -> None:
    """Create the key pair when a data folder has none (made before federation existed)."""
    if not has_key_pair(keys_dir):
        load_or_create_key_pair(keys_dir)


class NodeIdentity:
    """The LocalIdentity of one node, reloaded when its key files change on disk."""

    def __init__(self, actor_id: str, keys_dir: Path):
        self.actor_id = actor_id
        self.keys_dir = Path(keys_dir)
        self._stamp: tuple | None = None
        self._identity: LocalIdentity | None = None
        self._lock = threading.Lock()

    def _files_stamp(self) -> tuple:
        stamp = []
        for name in (RSA_KEY_FILE, ED25519_KEY_FILE):
            info = os.stat(self.keys_dir / name)
            stamp.append((info.st_ino, info.st_mtime_ns, info.st_size))
        return tuple(stamp)

    @property
    def current(self) -> LocalIdentity:
        """The identity with the keys now on disk (a stat per call, a parse only on change)."""
        stamp = self._files_stamp()
        with self._lock:
            if self._identity is None or stamp != self._stamp:
                self._identity = LocalIdentity(self.actor_id, _load(self.keys_dir))
                self._stamp = stamp
            return self._identity


def _load(keys_dir: Path) -> KeyPair:
    digest = hashlib.sha256()
    for name in (RSA_KEY_FILE, ED25519_KEY_FILE):
        path = keys_dir / name
        if path.stat().st_mode & 0o077:
            # load_key_pair explains it (and how to fix it) in one line.
            return load_key_pair(keys_dir)
        digest.update(path.read_bytes())
    key = digest.digest()
    with _parse_lock:
        found = _PARSED.get(key)
    if found is not None:
        return found
    pair = load_key_pair(keys_dir)
    with _parse_lock:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = pair
    return pair


__all__ = ["ACTOR_PATH", "KeyStorageError", "NodeIdentity", "ensure_keys"]
