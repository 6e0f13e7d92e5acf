"""The callback signing key: loaded from a PEM the user gives, or generated once (C16).

OSS signs callbacks with its own 512-bit RSA key, whose private half nobody else has, so the
emulator signs with a key of its own: ``--callback-private-key PEM`` (any size, 512 bits
included), else ``<data-dir>/callback-private-key.pem``, generated at first start (1024
bits: the crypto library refuses to generate 512) and kept, so app servers that cache the
public key keep working across restarts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

GENERATED_KEY_NAME = "callback-private-key.pem"
GENERATED_KEY_BITS = 1024


class SigningKeyError(ValueError):
    """The configured key file cannot be used; the message says why."""


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    public_pem: bytes  # SubjectPublicKeyInfo PEM, as served at /callback_pub_key_v1.pem
    source: Path


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_pem(path: Path) -> SigningKey:
    """An RSA private key from a PEM file (PKCS#1 or PKCS#8, unencrypted).

    Raises:
        SigningKeyError: the file is missing, unreadable, or not an unencrypted RSA private key.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, callbacks need an RSA key")
    return SigningKey(key, _public_pem(key), path)


def load_or_create(data_dir: Path, configured: Path | None) -> SigningKey:
    """The configured key, else the data directory's key, generated on first use."""
    if configured is not None:
        return load_pem(configured)
    path = data_dir / GENERATED_KEY_NAME
    if path.exists():
        return load_pem(path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(temp, path)  # two emulators starting at once end with one key, whole
    return load_pem(path)
