"""Signature V4 (``OSS4-HMAC-SHA256``): canonical request, signing key (rest-api.md §5).

Implements the ``Authorization`` header form (§5.1) and the presigned URL form (§5.4):
the canonical request (§5.2), the string to sign and the derived signing key (§5.3), and
parsing of the credential scope, which is taken verbatim from the request (any region,
empty included; any product, e.g. ``oss-cloudbox``). Docs:
https://help.aliyun.com/en/oss/developer-reference/recommend-to-use-signature-version-4

Malformed credentials raise ``AccessDenied`` with the real message
``Invalid credential in Authorization header.`` (§3, §17 G13).

Pure (style.md §2.1): no clock, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from emulator.auth.canonical import (
    UNSIGNED_PAYLOAD,
    normalized_headers,
    utf8,
    v4_additional_headers,
    v4_canonical_headers,
    v4_canonical_query,
    v4_canonical_uri,
)
from emulator.auth.model import Reading, SignedRequest
from emulator.errors import AccessDenied

ALGORITHM = "OSS4-HMAC-SHA256"
TERMINATOR = "aliyun_v4_request"
MAX_EXPIRES = 604800  # §5.4: a presigned V4 URL lives at most 7 days

INVALID_CREDENTIAL = "Invalid credential in Authorization header."
EC_CREDENTIAL_BLANK = "0002-00000218"  # §10.2, §17 G13: blank or malformed credential
EC_CREDENTIAL_DATE = "0002-00000223"  # §10.2, §17 G13: date not YYYYMMDD

_DATE = re.compile(r"[0-9]{8}")


@dataclass(frozen=True)
class Credential:
    """``<ak>/<yyyymmdd>/<region>/<product>/aliyun_v4_request`` split into its fields (§5.1)."""

    access_key_id: str
    date: str
    region: str
    product: str

    @property
    def scope(self) -> str:
        """The scope line of the string to sign (§5.3)."""
        return f"{self.date}/{self.region}/{self.product}/{TERMINATOR}"


@dataclass(frozen=True)
class Authorization:
    """A parsed ``Authorization: OSS4-HMAC-SHA256 …`` header (§5.1)."""

    credential: Credential
    additional_headers: tuple[str, ...]
    signature: str


def invalid_credential(ec: str = EC_CREDENTIAL_BLANK) -> AccessDenied:
    """The error for a malformed credential or Authorization header (§17 G13)."""
    return AccessDenied(INVALID_CREDENTIAL, ec=ec)


def parse_credential(value: str) -> Credential:
    """Parse a credential (header ``Credential=`` or query ``x-oss-credential``) (§5.1, §5.4).

    The value is split on ``/`` keeping empty fields, so an empty region is accepted
    (v2 with no region signs ``20261125//oss/aliyun_v4_request``, §5.3).

    Args:
        value: the decoded credential.

    Returns:
        Its fields.

    Raises:
        AccessDenied: blank, not five fields, blank access key id or wrong terminator
            (EC 0002-00000218); a date that is not ``YYYYMMDD`` (EC 0002-00000223).
    """
    fields = value.strip().split("/")
    if len(fields) != 5 or not fields[0] or fields[4] != TERMINATOR:
        # Real OSS documents more specific ECs (e.g. 0002-00000213 for a wrong terminator);
        # the spec assigns only 0002-00000218 and 0002-00000223 (§10.2).
        raise invalid_credential(EC_CREDENTIAL_BLANK)
    access_key_id, date, region, product, _ = fields
    if not _DATE.fullmatch(date):
        raise invalid_credential(EC_CREDENTIAL_DATE)
    return Credential(access_key_id, date, region, product)


def parse_authorization(value: str) -> Authorization:
    """Parse an ``OSS4-HMAC-SHA256`` Authorization header (§5.1).

    Accepts every variant seen (§5.1, §5.5): ``,`` or ``, `` separators, and
    ``AdditionalHeaders`` before or after ``Signature``. Items are stripped and split on
    their first ``=``; unknown items are ignored; the first occurrence of a name wins.

    Args:
        value: the header value, starting with ``OSS4-HMAC-SHA256``.

    Returns:
        The credential, the normalised additional header names and the signature.

    Raises:
        AccessDenied: no ``Credential`` or ``Signature`` item, or a malformed credential.
    """
    if not value.startswith(ALGORITHM):
        raise invalid_credential()
    items: dict[str, str] = {}
    for item in value[len(ALGORITHM) :].split(","):
        name, sep, item_value = item.strip().partition("=")
        if sep and name not in items:
            items[name] = item_value.strip()
    credential = items.get("Credential", "")
    signature = items.get("Signature")
    if not credential or signature is None:
        raise invalid_credential(EC_CREDENTIAL_BLANK)
    additional = v4_additional_headers(items.get("AdditionalHeaders", "").split(";"))
    return Authorization(parse_credential(credential), additional, signature)


def canonical_request(
    req: SignedRequest,
    reading: Reading,
    additional_headers: Iterable[str] = (),
    *,
    presigned: bool = False,
    empty_with_equals: frozenset[str] = frozenset(),
) -> str:
    """The V4 canonical request of a request under one reading (§5.2).

    Args:
        req: the request as received.
        reading: the bucket and key it is read as (decoded; re-encoded here).
        additional_headers: the ``AdditionalHeaders`` names (normalised again here: always
            sorted, whatever order the client sent, §5.5).
        presigned: leave ``x-oss-signature`` out of the canonical query (§5.4).
        empty_with_equals: query names whose empty value is written ``name=`` (§5.5).

    Returns:
        The six lines joined with ``\\n``; the headers block ends with its own ``\\n``.
    """
    additional = v4_additional_headers(additional_headers)
    headers = normalized_headers(req.headers)
    exclude = frozenset({"x-oss-signature"}) if presigned else frozenset()
    return "\n".join(
        [
            req.method.upper(),
            v4_canonical_uri(reading),
            v4_canonical_query(req.query, exclude=exclude, empty_with_equals=empty_with_equals),
            v4_canonical_headers(headers, additional),
            ";".join(additional),
            headers.get("x-oss-content-sha256", UNSIGNED_PAYLOAD),
        ]
    )


def string_to_sign(timestamp: str, scope: str, canonical_request: str) -> str:
    """``OSS4-HMAC-SHA256\\n<timestamp>\\n<scope>\\n<hex sha256 of the canonical request>`` (§5.3).

    Args:
        timestamp: ``x-oss-date`` (header or query), e.g. ``20231216T162057Z``.
        scope: ``<yyyymmdd>/<region>/<product>/aliyun_v4_request``.
        canonical_request: from :func:`canonical_request`.

    Returns:
        The string to sign.
    """
    digest = hashlib.sha256(utf8(canonical_request)).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def signing_key(secret: str, date: str, region: str, product: str = "oss") -> bytes:
    """Derive the signing key: HMAC-SHA256 chained over date, region, product, terminator (§5.3).

    Args:
        secret: the access key secret.
        date: ``yyyymmdd`` from the credential scope.
        region: the region from the scope, verbatim (may be empty).
        product: ``oss``, or ``oss-cloudbox`` for CloudBox requests.

    Returns:
        The raw 32-byte key.
    """
    key = hmac.new(utf8("aliyun_v4" + secret), utf8(date), hashlib.sha256).digest()
    for part in (region, product, TERMINATOR):
        key = hmac.new(key, utf8(part), hashlib.sha256).digest()
    return key


def sign(key: bytes, string_to_sign: str) -> str:
    """``lowercase_hex(HMAC-SHA256(key, UTF-8(string_to_sign)))`` (§5.3).

    Args:
        key: from :func:`signing_key`.
        string_to_sign: from :func:`string_to_sign`.

    Returns:
        The 64-character signature.
    """
    return hmac.new(key, utf8(string_to_sign), hashlib.sha256).hexdigest()
