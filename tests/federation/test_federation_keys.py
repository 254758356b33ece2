"""Key generation, private storage, rotation and Multikey encoding (FEP-521a)."""

import json
import os
import stat
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation import keys
from federation.keys import (
    KeyStorageError,
    MultikeyError,
    decode_multikey,
    decode_private_multikey,
    encode_multikey,
    encode_private_multikey,
    generate_key_pair,
    load_key_pair,
    load_or_create_key_pair,
    load_public_key,
    public_key_pem,
    rotate_key_pair,
    save_key_pair,
)

VECTORS = Path(__file__).parent / "vectors"


def vector(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


@pytest.fixture(scope="module")
def key_pair() -> keys.KeyPair:
    return generate_key_pair(rsa_bits=2048)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def raw(key: ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def same_public(a, b) -> bool:
    return public_key_pem(a) == public_key_pem(b)


# --- generation -------------------------------------------------------------------------------


def test_generated_keys_have_the_expected_types_and_sizes(key_pair):
    assert isinstance(key_pair.rsa, rsa.RSAPrivateKey)
    assert key_pair.rsa.key_size == 2048
    assert key_pair.rsa.public_key().public_numbers().e == 65537
    assert isinstance(key_pair.ed25519, ed25519.Ed25519PrivateKey)
    assert keys.RSA_DEFAULT_BITS >= 2048


def test_rsa_keys_below_2048_bits_are_refused():
    with pytest.raises(ValueError, match="2048"):
        keys.generate_rsa_key(1024)


# --- storage ----------------------------------------------------------------------------------


def test_saved_keys_are_private_even_with_a_permissive_umask(tmp_path, key_pair):
    """Given umask 000, when keys are saved, then files are 0600 and the folder 0700."""
    folder = tmp_path / "keys"
    old_umask = os.umask(0)
    try:
        save_key_pair(folder, key_pair)
    finally:
        os.umask(old_umask)
    assert mode_of(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [keys.ED25519_KEY_FILE, keys.RSA_KEY_FILE]
    for name in (keys.RSA_KEY_FILE, keys.ED25519_KEY_FILE):
        assert mode_of(folder / name) == 0o600


def test_key_files_are_created_with_mode_0600_by_os_open(tmp_path, key_pair, monkeypatch):
    """The mode is given when the file is created, not set afterwards with chmod."""
    calls = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        calls.append((Path(path).name, flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    save_key_pair(tmp_path, key_pair)
    assert len(calls) == 2
    for _name, flags, mode in calls:
        assert mode == 0o600
        assert flags & os.O_CREAT and flags & os.O_EXCL


def test_saved_keys_load_back_identical(tmp_path, key_pair):
    save_key_pair(tmp_path, key_pair)
    loaded = load_key_pair(tmp_path)
    assert same_public(loaded.rsa, key_pair.rsa)
    assert raw(loaded.ed25519.public_key()) == raw(key_pair.ed25519.public_key())
    assert (tmp_path / keys.RSA_KEY_FILE).read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_a_key_file_readable_by_others_is_refused(tmp_path, key_pair):
    save_key_pair(tmp_path, key_pair)
    (tmp_path / keys.RSA_KEY_FILE).chmod(0o644)
    with pytest.raises(KeyStorageError, match="chmod 600"):
        load_key_pair(tmp_path)


def test_missing_or_swapped_key_files_give_a_clear_error(tmp_path, key_pair):
    with pytest.raises(KeyStorageError, match="cannot read"):
        load_key_pair(tmp_path)
    save_key_pair(tmp_path, key_pair)
    rsa_file, ed_file = tmp_path / keys.RSA_KEY_FILE, tmp_path / keys.ED25519_KEY_FILE
    rsa_text = rsa_file.read_bytes()
    rsa_file.write_bytes(ed_file.read_bytes())
    ed_file.write_bytes(rsa_text)
    with pytest.raises(KeyStorageError, match="does not hold an RSA key"):
        load_key_pair(tmp_path)


def test_load_or_create_creates_once_then_loads(tmp_path):
    first = load_or_create_key_pair(tmp_path / "k", rsa_bits=2048)
    second = load_or_create_key_pair(tmp_path / "k", rsa_bits=2048)
    assert same_public(first.rsa, second.rsa)
    assert raw(first.ed25519.public_key()) == raw(second.ed25519.public_key())


def test_rotation_replaces_keys_and_returns_the_old_public_keys(tmp_path, key_pair):
    save_key_pair(tmp_path, key_pair)
    rotation = rotate_key_pair(tmp_path, rsa_bits=2048)

    assert rotation.old_public.rsa_pem == public_key_pem(key_pair.rsa)
    assert rotation.old_public.ed25519_multibase == encode_multikey(key_pair.ed25519.public_key())
    assert rotation.old_public.rsa_multibase == encode_multikey(key_pair.rsa.public_key())
    assert not same_public(rotation.new.rsa, key_pair.rsa)
    assert raw(rotation.new.ed25519.public_key()) != raw(key_pair.ed25519.public_key())

    loaded = load_key_pair(tmp_path)
    assert same_public(loaded.rsa, rotation.new.rsa)
    for name in (keys.RSA_KEY_FILE, keys.ED25519_KEY_FILE):
        assert mode_of(tmp_path / name) == 0o600
    retired = sorted((tmp_path / keys.RETIRED_DIR).iterdir())
    assert [p.name.split("-", 1)[1] for p in retired] == ["ed25519-public.pem", "rsa-public.pem"]
    assert retired[1].read_text() == rotation.old_public.rsa_pem
    assert not list(tmp_path.glob(".*.tmp"))


# --- PEM and Multikey ---------------------------------------------------------------------------


def test_public_pem_is_spki_and_loads_back(key_pair):
    pem = public_key_pem(key_pair.rsa)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert same_public(load_public_key(pem), key_pair.rsa)
    assert public_key_pem(key_pair.rsa.public_key()) == pem


def test_fep_521a_ed25519_multikey_both_ways():
    v = vector("fep-521a.json")["ed25519"]
    key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(v["publicKeyHex"]))
    assert encode_multikey(key) == v["publicKeyMultibase"]
    decoded = decode_multikey(v["publicKeyMultibase"])
    assert raw(decoded).hex() == v["publicKeyHex"]


def test_fep_521a_rsa_multikey_both_ways():
    v = vector("fep-521a.json")["rsa"]
    key = serialization.load_der_public_key(bytes.fromhex(v["pkcs1DerHex"]))
    assert encode_multikey(key) == v["publicKeyMultibase"]
    decoded = decode_multikey(v["publicKeyMultibase"])
    der = decoded.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert der.hex() == v["pkcs1DerHex"]
    assert load_public_key(v["publicKeyMultibase"]).public_numbers() == decoded.public_numbers()


def test_multikey_prefixes_match_the_vectors():
    v = vector("fep-521a.json")
    assert keys.ED25519_PUB_PREFIX.hex() == v["ed25519"]["multicodecPrefixHex"]
    assert keys.RSA_PUB_PREFIX.hex() == v["rsa"]["multicodecPrefixHex"]


def test_fep_8b32_secret_key_multibase_gives_its_public_key():
    v = vector("fep-8b32.json")
    private = decode_private_multikey(v["secretKeyMultibase"])
    assert encode_multikey(private.public_key()) == v["publicKeyMultibase"]
    assert encode_private_multikey(private) == v["secretKeyMultibase"]


def test_generated_keys_round_trip_through_multikey(key_pair):
    for public in (key_pair.rsa.public_key(), key_pair.ed25519.public_key()):
        text = encode_multikey(public)
        assert text.startswith("z")
        assert same_public(decode_multikey(text), public)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("u7QE", "starting with 'z'"),
        ("z0OIl", "base58btc"),
        ("z" + "1" * 10, "unknown multicodec prefix"),
        ("z" + base58.b58encode(bytes.fromhex("ed01") + bytes(31)).decode(), "32 bytes"),
        ("z" + base58.b58encode(bytes.fromhex("8524") + b"not der").decode(), "broken RSA"),
    ],
)
def test_broken_multikeys_are_refused(value, message):
    with pytest.raises(MultikeyError, match=message):
        decode_multikey(value)
