"""Key pairs of a node: generation, private storage on disk, rotation and public encodings.

Every node holds two keys. The RSA key signs HTTP requests, because that is what Mastodon and most
of the fediverse verify; the Ed25519 key signs integrity proofs (FEP-8b32) and may sign RFC 9421
requests. Public keys are published as PEM (`publicKeyPem`, for Mastodon) and as Multikey
(`publicKeyMultibase`, FEP-521a).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

RSA_DEFAULT_BITS = 3072
RSA_MIN_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537

RSA_KEY_FILE = "rsa-private.pem"
ED25519_KEY_FILE = "ed25519-private.pem"
RETIRED_DIR = "retired"

# Multicodec codes as unsigned varints (https://github.com/multiformats/multicodec):
# ed25519-pub 0xed, rsa-pub 0x1205, ed25519-priv 0x1300.
ED25519_PUB_PREFIX = bytes.fromhex("ed01")
RSA_PUB_PREFIX = bytes.fromhex("8524")
ED25519_PRIV_PREFIX = bytes.fromhex("8026")


class KeyStorageError(Exception):
    """A key file is missing, unreadable, of the wrong kind or readable by others."""


class MultikeyError(ValueError):
    """A Multikey value is not base58btc multibase, or carries an unknown or broken key."""


@dataclass(frozen=True)
class KeyPair:
    """The two private keys of one node."""

    rsa: rsa.RSAPrivateKey
    ed25519: ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class PublicKeyInfo:
    """What a node publishes about its keys: enough for a peer to verify, and to announce."""

    rsa_pem: str
    rsa_multibase: str
    ed25519_multibase: str
    ed25519_pem: str

    @classmethod
    def of(cls, keys: KeyPair) -> PublicKeyInfo:
        rsa_public = keys.rsa.public_key()
        ed_public = keys.ed25519.public_key()
        return cls(
            rsa_pem=public_key_pem(rsa_public),
            rsa_multibase=encode_multikey(rsa_public),
            ed25519_multibase=encode_multikey(ed_public),
            ed25519_pem=public_key_pem(ed_public),
        )


@dataclass(frozen=True)
class Rotation:
    """The outcome of a rotation: the new keys, and the old public keys to announce."""

    new: KeyPair
    old_public: PublicKeyInfo
    rotated_at: datetime


# --- generation ------------------------------------------------------------------------------


def generate_rsa_key(bits: int = RSA_DEFAULT_BITS) -> rsa.RSAPrivateKey:
    """A new RSA key; smaller than 2048 bits is refused because peers reject or distrust it."""
    if bits < RSA_MIN_BITS:
        raise ValueError(f"RSA keys need at least {RSA_MIN_BITS} bits, not {bits}")
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=bits)


def generate_ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def generate_key_pair(rsa_bits: int = RSA_DEFAULT_BITS) -> KeyPair:
    return KeyPair(rsa=generate_rsa_key(rsa_bits), ed25519=generate_ed25519_key())


# --- storage ---------------------------------------------------------------------------------


def save_key_pair(folder: Path | str, keys: KeyPair) -> None:
    """Write both private keys as PKCS#8 PEM files, mode 0600, replacing any present.

    Each file is written under a temporary name and renamed into place, so a crash never leaves
    half a key; the temporary file is created with mode 0600, so the key is never readable by
    others, not even for a moment.
    """
    folder = _ensure_private_folder(Path(folder))
    _write_private_file(folder / RSA_KEY_FILE, private_key_pem(keys.rsa).encode())
    _write_private_file(folder / ED25519_KEY_FILE, private_key_pem(keys.ed25519).encode())


def load_key_pair(folder: Path | str) -> KeyPair:
    """Read both private keys; refuse files that others may read, as ssh does."""
    folder = Path(folder)
    rsa_key = _read_private_key(folder / RSA_KEY_FILE)
    ed_key = _read_private_key(folder / ED25519_KEY_FILE)
    if not isinstance(rsa_key, rsa.RSAPrivateKey):
        raise KeyStorageError(f"{folder / RSA_KEY_FILE} does not hold an RSA key")
    if not isinstance(ed_key, ed25519.Ed25519PrivateKey):
        raise KeyStorageError(f"{folder / ED25519_KEY_FILE} does not hold an Ed25519 key")
    return KeyPair(rsa=rsa_key, ed25519=ed_key)


def has_key_pair(folder: Path | str) -> bool:
    folder = Path(folder)
    return (folder / RSA_KEY_FILE).exists() and (folder / ED25519_KEY_FILE).exists()


def load_or_create_key_pair(folder: Path | str, rsa_bits: int = RSA_DEFAULT_BITS) -> KeyPair:
    """The node's keys; the first call creates them (as `bloei init` would)."""
    if has_key_pair(folder):
        return load_key_pair(folder)
    keys = generate_key_pair(rsa_bits)
    save_key_pair(folder, keys)
    return keys


def rotate_key_pair(
    folder: Path | str, rsa_bits: int = RSA_DEFAULT_BITS, now: datetime | None = None
) -> Rotation:
    """Replace both keys with new ones and return the old public keys.

    The old private keys are gone after this call: a rotation usually answers a leak, so keeping
    them would defeat it. The old public keys are also written to `retired/` (public, harmless),
    so that a caller that crashes before announcing the rotation can still find them.
    """
    folder = Path(folder)
    old = load_key_pair(folder)
    old_public = PublicKeyInfo.of(old)
    rotated_at = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = rotated_at.strftime("%Y%m%dT%H%M%SZ")
    retired = folder / RETIRED_DIR
    retired.mkdir(mode=0o700, exist_ok=True)
    (retired / f"{stamp}-rsa-public.pem").write_text(old_public.rsa_pem)
    (retired / f"{stamp}-ed25519-public.pem").write_text(old_public.ed25519_pem)
    new = generate_key_pair(rsa_bits)
    save_key_pair(folder, new)
    return Rotation(new=new, old_public=old_public, rotated_at=rotated_at)


def _ensure_private_folder(folder: Path) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write_private_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # left by a crash of an earlier process with our pid
    # O_EXCL: never reuse a file someone else prepared (with looser permissions) for us.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_private_key(path: Path) -> PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise KeyStorageError(f"cannot read key file {path}: {exc.strerror}") from exc
    if mode & 0o077:
        raise KeyStorageError(
            f"{path} may be read by others (mode {mode & 0o777:o}); run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise KeyStorageError(f"{path} is not a PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyStorageError(f"{path} holds a key type Bloei does not use")
    return key


# --- PEM -------------------------------------------------------------------------------------


def private_key_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    """SubjectPublicKeyInfo PEM, the form Mastodon expects in an actor's `publicKey`."""
    if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(value: str | bytes | PublicKey) -> PublicKey:
    """A public key from PEM (`publicKeyPem`) or Multikey (`publicKeyMultibase`) text.

    Lets a key resolver hand over whatever an actor document published.
    """
    if isinstance(value, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        return value
    text = value.decode("ascii") if isinstance(value, bytes) else value
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError as exc:
            raise MultikeyError("not a PEM public key") from exc
        if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
            raise MultikeyError("only RSA and Ed25519 public keys are supported")
        return key
    return decode_multikey(text)


# --- Multikey (FEP-521a) ---------------------------------------------------------------------


def encode_multikey(key: PublicKey) -> str:
    """`publicKeyMultibase`: 'z' + base58btc(multicodec prefix + key bytes).

    Ed25519 carries its 32 raw bytes; RSA carries the PKCS#1 RSAPublicKey DER, as FEP-521a says.
    """
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return _multibase(ED25519_PUB_PREFIX + raw)
    if isinstance(key, rsa.RSAPublicKey):
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        return _multibase(RSA_PUB_PREFIX + der)
    raise TypeError(f"cannot encode {type(key).__name__} as a Multikey")


def decode_multikey(value: str) -> PublicKey:
    """The inverse of `encode_multikey`; raises MultikeyError on anything unexpected."""
    data = _from_multibase(value)
    if data.startswith(ED25519_PUB_PREFIX):
        raw = data[len(ED25519_PUB_PREFIX) :]
        if len(raw) != 32:
            raise MultikeyError(f"an Ed25519 key has 32 bytes, this one {len(raw)}")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if data.startswith(RSA_PUB_PREFIX):
        try:
            # cryptography reads PKCS#1 RSAPublicKey DER as well as SubjectPublicKeyInfo.
            key = serialization.load_der_public_key(data[len(RSA_PUB_PREFIX) :])
        except ValueError as exc:
            raise MultikeyError("broken RSA public key") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise MultikeyError("the rsa-pub prefix carries a key that is not RSA")
        return key
    raise MultikeyError(f"unknown multicodec prefix {data[:2].hex()}")


def encode_private_multikey(key: ed25519.Ed25519PrivateKey) -> str:
    """`secretKeyMultibase` of an Ed25519 key (prefix 0x8026), as in the FEP-8b32 examples."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _multibase(ED25519_PRIV_PREFIX + raw)


def decode_private_multikey(value: str) -> ed25519.Ed25519PrivateKey:
    data = _from_multibase(value)
    if not data.startswith(ED25519_PRIV_PREFIX) or len(data) != 34:
        raise MultikeyError("not an Ed25519 secret key multibase (prefix 8026, 32 bytes)")
    return ed25519.Ed25519PrivateKey.from_private_bytes(data[2:])


def _multibase(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def _from_multibase(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise MultikeyError("expected base58btc multibase text starting with 'z'")
    try:
        return base58.b58decode(value[1:])
    except ValueError as exc:
        raise MultikeyError("not valid base58btc") from exc
