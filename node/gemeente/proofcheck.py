"""Checking an activity's integrity proof with its kern's Ed25519 key.

Every activity a kern publishes carries an eddsa-jcs-2022 proof (docs/FEDERATION.md, section
5). The aggregator checks it on everything it applies, pushed or pulled: a pulled page may
have come through any cache, and even a correctly signed POST must not smuggle in an activity
the kern never made. The key must be one the kern's own actor document lists (its
`assertionMethod`, cached by `federation.keycache`) on the kern's own origin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from federation.keycache import KeyCache
from federation.keys import PublicKey
from federation.proofs import ProofError, verify_document
from federation.vocabulary import id_of

# Reasons worth one fresh look at the kern's actor: its keys may have been rotated.
REFETCH_REASONS = frozenset({"unknown_key", "bad_signature"})


def check(activity: Any, kern_actor_id: str, keys: KeyCache) -> str:
    """The verification method when the proof holds; ProofError otherwise.

    Also refuses an activity whose `actor` is not the kern: a kern's key speaks only for
    the kern.
    """
    if not isinstance(activity, dict):
        raise ProofError("malformed", "the activity is not a JSON object")
    if id_of(activity.get("actor")) != kern_actor_id:
        raise ProofError("malformed", "the activity's actor is not this kern")

    def resolve(method: str) -> PublicKey | None:
        if _origin(method) != _origin(kern_actor_id):
            return None
        cached = keys.cached(method)
        if cached is None or cached.owner != kern_actor_id:
            return None
        return cached.key

    return verify_document(activity, resolve)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
