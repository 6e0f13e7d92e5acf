"""Signing callback requests (callback.md §6; decisions C6, C15-C19).

- String to sign (C19): the URL's path percent-decoded (RFC 3986 as UTF-8 bytes; ``+``
  stays ``+``), then ``?`` and the raw query whenever the URL has a ``?`` (even with an
  empty query), then one LF and the body. No trailing newline.
- Signature (C16): RSASSA-PKCS1-v1_5 with MD5 (deterministic), Base64 in ``Authorization``
  with no scheme prefix. Keys of any size the ``cryptography`` package loads work (OSS
  itself uses 512 bits; generating keys is ``keys.py``'s job, not this module's).
- ``x-oss-pub-key-url`` (C17): Base64 of the public-key URL.
- Headers (C18, §6.1) in this order: ``Authorization``, ``Content-MD5``, ``Content-Type``,
  ``Content-Length``, ``Date``, ``Host`` (C6: ``callbackHost``, else the URL's host name
  without port), ``User-Agent: aliyun-oss-callback``, ``x-oss-bucket``,
  ``x-oss-pub-key-url``, ``x-oss-request-id``, ``x-oss-requester``, ``x-oss-owner``,
  ``x-oss-signature-version: 1.0``, ``x-oss-tag: CALLBACK``, ``x-oss-additional-headers``
  (names joined by ``,``, empty when none, C15), each ``additionalHeaders`` entry, then
  ``Connection: close``. Header order carries no meaning in HTTP; the 2019 capture of
  callback.md §6.1, read through its proxy, suggests real OSS sends its headers sorted by
  name.

Only this module of the pure layer imports ``cryptography``. Nothing here reads a clock:
the ``Date`` value is a parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from emulator.callback.model import CallbackRequest, CallbackSpec, split_url

USER_AGENT = "aliyun-oss-callback"
SIGNATURE_VERSION = "1.0"
TAG = "CALLBACK"


def string_to_sign(url: str, body: bytes) -> bytes:
    """The bytes a callback's signature covers (C19, callback.md §6.2).

    Args:
        url: the callback URL (scheme optional, as in ``callbackUrl``).
        body: the expanded body.

    Returns:
        ``percent_decode(path) [+ "?" + raw query] + "\\n" + body``; an empty path is
        ``/`` (the path of the request line).

    Raises:
        ValueError: ``url`` is not a callback URL (``model.split_url``).
    """
    target = split_url(url)
    out = unquote_to_bytes(target.request_path)
    if target.query is not None:
        out += b"?" + target.query.encode("utf-8")
    return out + b"\n" + body


def load_private_key(pem: bytes | str) -> RSAPrivateKey:
    """Parse an unencrypted PEM RSA private key (PKCS#1 or PKCS#8).

    Args:
        pem: the PEM text.

    Returns:
        The key.

    Raises:
        ValueError: not a PEM private key, or not RSA.
    """
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # encrypted key
        raise ValueError(str(exc)) from exc
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the callback signing key must be an RSA key")
    return key


def load_public_key(pem: bytes | str) -> RSAPublicKey:
    """Parse a PEM RSA public key (``-----BEGIN PUBLIC KEY-----``, as OSS serves it).

    Args:
        pem: the PEM text.

    Returns:
        The key.

    Raises:
        ValueError: not a PEM public key, or not RSA.
    """
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the callback public key must be an RSA key")
    return key


def sign(private_key: RSAPrivateKey | bytes | str, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 signature with MD5 (C16), as OSS signs callbacks.

    Args:
        private_key: the key, or its PEM text.
        data: the string to sign.

    Returns:
        The raw signature (as long as the key's modulus: 64 bytes for 512 bits).
    """
    key = private_key if isinstance(private_key, RSAPrivateKey) else load_private_key(private_key)
    return key.sign(data, padding.PKCS1v15(), hashes.MD5())


def authorization_header(signature: bytes) -> str:
    """The ``Authorization`` value: Base64 of the signature, no scheme prefix (§6.2)."""
    return base64.b64encode(signature).decode("ascii")


def pub_key_url_header(url: str) -> str:
    """The ``x-oss-pub-key-url`` value: Base64 of the public-key URL (C17)."""
    return base64.b64encode(url.encode("utf-8")).decode("ascii")


def content_md5(body: bytes) -> str:
    """The ``Content-MD5`` value: Base64 of the body's MD5."""
    return base64.b64encode(hashlib.md5(body).digest()).decode("ascii")


def verify(public_key_pem: RSAPublicKey | bytes | str, signature: bytes | str, data: bytes) -> bool:
    """Check a callback signature the way Alibaba's sample servers do (callback.md §6.5).

    The servers Base64-decode ``Authorization`` and verify RSA-MD5 PKCS#1 v1.5 over their
    own string to sign with the key behind ``x-oss-pub-key-url``.

    Args:
        public_key_pem: the public key, or its PEM text.
        signature: the raw signature, or the ``Authorization`` header (Base64 text).
        data: the string to sign (``string_to_sign``).

    Returns:
        True when the signature is valid; False otherwise (bad Base64 included).

    Raises:
        ValueError: the public key cannot be parsed.
    """
    key = (
        public_key_pem
        if isinstance(public_key_pem, RSAPublicKey)
        else load_public_key(public_key_pem)
    )
    if isinstance(signature, str):
        try:
            raw = base64.b64decode(signature.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return False
    else:
        raw = signature
    try:
        key.verify(raw, data, padding.PKCS1v15(), hashes.MD5())
    except InvalidSignature:
        return False
    return True


def callback_headers(
    *,
    authorization: str,
    body: bytes,
    body_type: str,
    date: str,
    host: str,
    bucket: str,
    pub_key_url: str,
    request_id: str,
    requester: str,
    owner: str,
    additional_headers: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """The callback request's headers, in order (C18; see the module docstring).

    Args:
        authorization: the ``Authorization`` value (``authorization_header``).
        body: the body (for ``Content-MD5`` and ``Content-Length``).
        body_type: the ``callbackBodyType`` (sent as ``Content-Type``, no charset).
        date: the ``Date`` value, RFC 1123 GMT (``Tue, 07 May 2024 03:06:13 GMT``).
        host: the ``Host`` value (C6).
        bucket: the bucket name.
        pub_key_url: the public-key URL (sent Base64-encoded, C17).
        request_id: the upload's ``x-oss-request-id``.
        requester: the requester's account id (G8).
        owner: the bucket owner's account id (G8).
        additional_headers: the ``additionalHeaders`` entries in order (C15); values
            are sent without surrounding spaces or tabs.

    Returns:
        (name, value) pairs in sending order.
    """
    headers = [
        ("Authorization", authorization),
        ("Content-MD5", content_md5(body)),
        ("Content-Type", body_type),
        ("Content-Length", str(len(body))),
        ("Date", date),
        ("Host", host),
        ("User-Agent", USER_AGENT),
        ("x-oss-bucket", bucket),
        ("x-oss-pub-key-url", pub_key_url_header(pub_key_url)),
        ("x-oss-request-id", request_id),
        ("x-oss-requester", requester),
        ("x-oss-owner", owner),
        ("x-oss-signature-version", SIGNATURE_VERSION),
        ("x-oss-tag", TAG),
        ("x-oss-additional-headers", ",".join(name for name, _ in additional_headers)),
    ]
    headers.extend((name, value.strip(" \t")) for name, value in additional_headers)
    headers.append(("Connection", "close"))
    return headers


def build_request(
    spec: CallbackSpec,
    url: str,
    body: bytes,
    *,
    private_key: RSAPrivateKey | bytes | str,
    date: str,
    bucket: str,
    pub_key_url: str,
    request_id: str,
    requester: str,
    owner: str,
) -> CallbackRequest:
    """One signed callback attempt for one of ``spec.urls`` (callback.md §6).

    Args:
        spec: the parsed callback.
        url: the URL of this attempt (each URL is signed for its own path and query).
        body: the expanded body (``template.expand``).
        private_key: the signing key, or its PEM text (C16).
        date: the ``Date`` value (no clock in the pure layer).
        bucket: the bucket name.
        pub_key_url: the public-key URL (C17).
        request_id: the upload's request id.
        requester: the requester's account id.
        owner: the bucket owner's account id.

    Returns:
        The request: absolute URL, ``POST``, headers in order, body, the string to sign,
        and the SNI host name (the URL's host for ``https`` with ``callbackSNI`` true,
        else None, C7).
    """
    target = split_url(url)
    to_sign = string_to_sign(url, body)
    headers = callback_headers(
        authorization=authorization_header(sign(private_key, to_sign)),
        body=body,
        body_type=spec.body_type,
        date=date,
        host=spec.host or target.host,
        bucket=bucket,
        pub_key_url=pub_key_url,
        request_id=request_id,
        requester=requester,
        owner=owner,
        additional_headers=spec.additional_headers,
    )
    sni = target.host if spec.sni and target.scheme == "https" else None
    return CallbackRequest(
        url=target.url,
        method="POST",
        headers=tuple(headers),
        body=body,
        string_to_sign=to_sign,
        sni_hostname=sni,
    )
