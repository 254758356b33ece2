"""The local actor as the protocol sees it: its id and its two keys, and what they sign.

One object carries both jobs a node's keys have, so callers never pick a key id by hand: the
RSA key signs HTTP requests (`#main-key`, what Mastodon fetches), the Ed25519 key signs
integrity proofs (`#ed25519-key`, a FEP-521a Multikey in `assertionMethod`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.keys import KeyPair, PublicKeyInfo
from federation.proofs import sign_document
from federation.signatures import SCHEME_CAVAGE, HttpSignatureAuth

MAIN_KEY_FRAGMENT = "#main-key"
PROOF_KEY_FRAGMENT = "#ed25519-key"


@dataclass(frozen=True)
class LocalIdentity:
    """The node's actor id and key pair."""

    actor_id: str
    keys: KeyPair

    @property
    def main_key_id(self) -> str:
        """The RSA key's id, the `keyId` of every HTTP signature we send."""
        return self.actor_id + MAIN_KEY_FRAGMENT

    @property
    def proof_key_id(self) -> str:
        """The Ed25519 key's id, the `verificationMethod` of every integrity proof."""
        return self.actor_id + PROOF_KEY_FRAGMENT

    def public_keys(self) -> PublicKeyInfo:
        return PublicKeyInfo.of(self.keys)

    def http_auth(
        self, scheme: str = SCHEME_CAVAGE, clock: Callable[[], datetime] | None = None
    ) -> HttpSignatureAuth:
        """An httpx.Auth that signs requests as this actor (draft-cavage rsa-sha256 by default)."""
        return HttpSignatureAuth(self.main_key_id, self.keys.rsa, scheme=scheme, clock=clock)

    def sign(self, document: dict[str, Any], created: datetime | None = None) -> dict[str, Any]:
        """A copy of `document` with an eddsa-jcs-2022 integrity proof by this actor."""
        return sign_document(document, self.keys.ed25519, self.proof_key_id, created=created)
