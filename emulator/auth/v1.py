"""Signature V1: HMAC-SHA1 over a string to sign (rest-api.md §4).

Implements the header form (``Authorization: OSS <ak>:<signature>``, §4.1) and the
presigned URL form (``?OSSAccessKeyId=…&Expires=…&Signature=…``, §4.3), which share one
string to sign and differ only in the Date slot. Docs:
https://www.alibabacloud.com/help/en/oss/developer-reference/include-signatures-in-the-authorization-header

Pure (style.md §2.1): no clock, no I/O; verify.py decides which strings to try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from emulator.auth.canonical import normalized_headers, utf8, v1_oss_headers, v1_resource
from emulator.auth.model import Reading, SignedRequest

AUTHORIZATION_PREFIX = "OSS "


def date_slot(headers: Mapping[str, str]) -> str:
    """The header-form Date slot: ``x-oss-date`` if present and non-empty, else ``Date`` (§4.1).

    Args:
        headers: request headers (any case).

    Returns:
        The stripped value, or the empty string when neither header is sent.
    """
    normalized = normalized_headers(headers)
    return normalized.get("x-oss-date") or normalized.get("date", "")


def assemble(
    method: str, headers: Mapping[str, str], resource: str, *, date: str | None = None
) -> str:
    """Build a V1 string to sign from its parts (§4.1).

    Args:
        method: the HTTP method (upper-cased here).
        headers: request headers; ``Content-MD5``, ``Content-Type``, the date headers and
            every ``x-oss-*`` header are taken from them.
        resource: the ``CanonicalizedResource``, already built.
        date: the Date slot; None means the header form's rule (:func:`date_slot`).
            Presigned URLs pass their ``Expires`` value (§4.3).

    Returns:
        ``VERB\\nContent-MD5\\nContent-Type\\nDate\\nCanonicalizedOSSHeaders`` + resource.
    """
    normalized = normalized_headers(headers)
    slot = date_slot(normalized) if date is None else date
    return (
        f"{method.upper()}\n{normalized.get('content-md5', '')}\n"
        f"{normalized.get('content-type', '')}\n{slot}\n"
        f"{v1_oss_headers(normalized)}{resource}"
    )


def string_to_sign(
    req: SignedRequest,
    reading: Reading,
    *,
    date_override: str | None = None,
    drop: frozenset[str] = frozenset(),
    empty_with_equals: frozenset[str] = frozenset(),
) -> str:
    """The V1 string to sign of a request under one reading (§4.1, §4.3).

    Args:
        req: the request as received.
        reading: the bucket and key it is read as (decoded).
        date_override: the Date slot for presigned URLs (the ``Expires`` value).
        drop: sub-resources left out of the resource (``x-oss-process`` retry, §4.2).
        empty_with_equals: sub-resources whose empty value is written ``name=`` (§5.5).

    Returns:
        The string to sign, as the client should have computed it.
    """
    resource = v1_resource(reading, req.query, drop=drop, empty_with_equals=empty_with_equals)
    return assemble(req.method, req.headers, resource, date=date_override)


def sign(secret: str, string_to_sign: str) -> str:
    """``Base64(HMAC-SHA1(secret, UTF-8(string_to_sign)))``, standard alphabet, padded (§4.1).

    Args:
        secret: the access key secret.
        string_to_sign: the text to sign.

    Returns:
        The signature as sent in ``Authorization`` or the ``Signature`` parameter.
    """
    digest = hmac.new(utf8(secret), utf8(string_to_sign), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def parse_authorization(value: str) -> tuple[str, str]:
    """Split ``OSS <ak>:<signature>`` into its access key id and signature (§4.1).

    A value without ``:`` is read as an access key id with an empty signature, so it fails
    as an unknown key or as a signature mismatch rather than as a parse error.

    Args:
        value: the ``Authorization`` header; must start with ``OSS ``.

    Returns:
        ``(access_key_id, signature)``, both stripped.

    Raises:
        ValueError: the value does not start with ``OSS `` (a caller bug).
    """
    if not value.startswith(AUTHORIZATION_PREFIX):
        raise ValueError("not a V1 Authorization header")
    access_key_id, _, signature = value[len(AUTHORIZATION_PREFIX) :].partition(":")
    return access_key_id.strip(), signature.strip()
