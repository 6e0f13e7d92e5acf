"""Who is calling STS: the two signatures the official STS clients send (decisions.md S1).

**RPC, HMAC-SHA1** (ali-oss ``STS`` class, ``lib/sts.js``; the Tea/OpenAPI SDKs with
``signature_algorithm='v2'``, ``alibabacloud_tea_openapi.utils.Utils.get_rpcsignature``).
Every parameter of the query and of the ``application/x-www-form-urlencoded`` body except
``Signature`` is percent-encoded (UTF-8; ``A-Z a-z 0-9 - _ . ~`` kept, everything else
``%XX`` upper-case: JavaScript's ``encodeURIComponent`` plus ``! ' ( ) *``, Python's
``quote(safe='~')``), sorted by name and joined as ``k=v&…``::

    StringToSign = METHOD + "&%2F&" + percent_encode(canonicalized query)
    Signature    = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))

with ``AccessKeyId``, ``SignatureMethod=HMAC-SHA1``, ``SignatureNonce``, ``Timestamp``
(ISO 8601 UTC, ali-oss adds milliseconds) and, for a temporary caller, ``SecurityToken`` among
the parameters.

**ACS3-HMAC-SHA256** (the Tea/OpenAPI SDKs' default, e.g. alibabacloud-sts20150401:
``alibabacloud_tea_openapi.client.Client.do_request`` and ``Utils.get_authorization``)::

    Authorization    = ACS3-HMAC-SHA256 Credential=<ak>,SignedHeaders=<h1;h2…>,Signature=<hex>
    CanonicalRequest = METHOD \\n path \\n canonical query \\n canonical headers \\n
                       signed headers \\n hex(SHA-256(body))
    StringToSign     = "ACS3-HMAC-SHA256" \\n hex(SHA-256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))

where the canonical query is the sorted ``enc(k)=enc(v)`` pairs joined by ``&``, and the
canonical headers are ``name:trimmed value\\n`` for each signed header, sorted. A temporary
caller sends ``x-acs-security-token``. The payload hash is computed from the body received,
not taken from ``x-acs-content-sha256``.

Emulator choices: ``SignatureNonce`` / ``x-acs-signature-nonce`` replay is not tracked; the
request time (``Timestamp`` / ``x-acs-date``) must be within 15 minutes of ``now`` only while
the clock-skew check is on (as for OSS, rest-api.md §17 G2); ACS3-HMAC-SM3 and
ACS3-RSA-SHA256 are refused with ``InvalidSignatureMethod``. A signature mismatch shows the
server's string to sign (and, for ACS3, the canonical request) in its message, as POP does
for RPC.

Pure (style.md §2.1): no I/O; ``now`` is a parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from emulator.auth.model import Credentials, KeyLookup
from emulator.errors import SecurityTokenExpired
from emulator.sts.errors import (
    IncompleteSignature,
    InvalidAccessKeyIdNotFound,
    InvalidSecurityTokenExpired,
    InvalidSecurityTokenMismatch,
    InvalidSignatureMethod,
    InvalidTimeStampExpired,
    InvalidTimeStampFormat,
    MissingAccessKeyId,
    MissingSecurityToken,
    MissingSignatureNonce,
    MissingTimestamp,
    SignatureDoesNotMatch,
)
from emulator.timestamps import epoch

ACS3 = "ACS3-HMAC-SHA256"
RPC_METHOD = "HMAC-SHA1"
SKEW_LIMIT = 15 * 60  # seconds, as POP and OSS (rest-api.md §3)

_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z")


@dataclass(frozen=True)
class StsRequest:
    """An STS request as received.

    Attributes:
        method: upper-case HTTP method.
        raw_path: the path as on the wire.
        query: decoded query pairs, in order.
        form: decoded ``application/x-www-form-urlencoded`` body pairs, in order.
        headers: lower-cased names; repeated headers joined with ``,``.
        body: the body bytes (the ACS3 payload hash covers them).
    """

    method: str
    raw_path: str = "/"
    query: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """Query then form parameters: the RPC API's parameters."""
        return self.query + self.form

    def param(self, name: str) -> str | None:
        """The first value of a parameter (query first, then form), or None."""
        for key, value in self.params:
            if key == name:
                return value
        return None


def authenticate(
    req: StsRequest, keys: KeyLookup, now: float, *, skew_check: bool = True
) -> Credentials:
    """Check the caller's signature and return its key pair.

    Args:
        req: the request.
        keys: the configured pair and the temporary pairs the emulator issued.
        now: the current time, epoch seconds.
        skew_check: refuse a request time more than 15 minutes from ``now``.

    Returns:
        The caller's credentials.

    Raises:
        IncompleteSignature: neither an ACS3 ``Authorization`` header nor an RPC
            ``Signature`` parameter, or a malformed header.
        InvalidSignatureMethod: another algorithm than ACS3-HMAC-SHA256 / HMAC-SHA1.
        MissingAccessKeyId, MissingSignatureNonce, MissingTimestamp: RPC parameters absent.
        InvalidAccessKeyIdNotFound: unknown access key id.
        MissingSecurityToken, InvalidSecurityTokenMismatch, InvalidSecurityTokenExpired:
            a temporary caller without its token, with another one, or expired.
        InvalidTimeStampFormat, InvalidTimeStampExpired: unreadable or skewed request time.
        SignatureDoesNotMatch: the signature differs from ours.
    """
    authorization = req.headers.get("authorization", "").strip()
    if authorization:
        return _acs3(req, authorization, keys, now, skew_check)
    if req.param("Signature") is not None:
        return _rpc(req, keys, now, skew_check)
    raise IncompleteSignature()


# --- RPC (HMAC-SHA1) ------------------------------------------------------------------


def percent_encode(text: str) -> str:
    """RFC 3986 encoding of UTF-8: keep ``A-Z a-z 0-9 - _ . ~``, ``%XX`` the rest."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="~")


def rpc_string_to_sign(method: str, params: tuple[tuple[str, str], ...]) -> str:
    """``METHOD&%2F&`` + the encoded canonicalized query, ``Signature`` left out."""
    pairs = sorted((key, value) for key, value in params if key != "Signature")
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)
    return f"{method.upper()}&%2F&{percent_encode(canonical)}"


def rpc_signature(secret: str, string_to_sign: str) -> str:
    """Base64 of HMAC-SHA1 keyed with ``secret + "&"``."""
    key = (secret + "&").encode("utf-8", "surrogatepass")
    digest = hmac.new(key, string_to_sign.encode("utf-8", "surrogatepass"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def _rpc(req: StsRequest, keys: KeyLookup, now: float, skew_check: bool) -> Credentials:
    access_key_id = req.param("AccessKeyId")
    if not access_key_id:
        raise MissingAccessKeyId()
    method = req.param("SignatureMethod")
    if method is not None and method != RPC_METHOD:
        raise InvalidSignatureMethod(f"Specified signature method {method!r} is not supported.")
    if not req.param("SignatureNonce"):
        raise MissingSignatureNonce()
    credentials = _caller(keys, access_key_id, now, req.param("SecurityToken"))
    if skew_check:
        _check_time(req.param("Timestamp"), now)
    # Base64 never contains a space: one here is a '+' the client left unencoded.
    provided = (req.param("Signature") or "").replace(" ", "+")
    string_to_sign = rpc_string_to_sign(req.method, req.params)
    if not _equal(rpc_signature(credentials.access_key_secret, string_to_sign), provided):
        raise SignatureDoesNotMatch(
            f"{SignatureDoesNotMatch.message} server string to sign is:{string_to_sign}"
        )
    return credentials


# --- ACS3-HMAC-SHA256 -----------------------------------------------------------------


@dataclass(frozen=True)
class Acs3Authorization:
    """The parts of an ``ACS3-HMAC-SHA256`` Authorization header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_acs3(authorization: str) -> Acs3Authorization:
    """Read ``ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…``.

    Raises:
        InvalidSignatureMethod: another algorithm.
        IncompleteSignature: a part is missing or empty.
    """
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ACS3:
        raise InvalidSignatureMethod(
            f"Specified signature method {algorithm!r} is not supported; the emulator "
            f"verifies {ACS3} and the RPC {RPC_METHOD} signature."
        )
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, _, value = item.strip().partition("=")
        parts[name] = value.strip()
    credential, signed, signature = (
        parts.get("Credential", ""),
        parts.get("SignedHeaders", ""),
        parts.get("Signature", ""),
    )
    if not (credential and signed and signature):
        raise IncompleteSignature()
    names = tuple(sorted({name.strip().lower() for name in signed.split(";") if name.strip()}))
    return Acs3Authorization(credential, names, signature)


def acs3_canonical_request(
    req: StsRequest, signed_headers: tuple[str, ...], payload_hash: str
) -> str:
    """The ACS3 canonical request of ``req`` over the given (lower-case) header names."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in req.query)
    query = "&".join(f"{k}={v}" for k, v in pairs)
    names = sorted(signed_headers)
    headers = "".join(f"{name}:{req.headers.get(name, '').strip()}\n" for name in names)
    return "\n".join(
        (req.method.upper(), req.raw_path or "/", query, headers, ";".join(names), payload_hash)
    )


def acs3_string_to_sign(canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{ACS3}\n{digest}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    """Lower-case hex of HMAC-SHA256 keyed with the secret."""
    key = secret.encode("utf-8", "surrogatepass")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _acs3(
    req: StsRequest, authorization: str, keys: KeyLookup, now: float, skew_check: bool
) -> Credentials:
    parsed = parse_acs3(authorization)
    credentials = _caller(keys, parsed.access_key_id, now, req.headers.get("x-acs-security-token"))
    if skew_check:
        _check_time(req.headers.get("x-acs-date"), now)
    canonical = acs3_canonical_request(
        req, parsed.signed_headers, hashlib.sha256(req.body).hexdigest()
    )
    string_to_sign = acs3_string_to_sign(canonical)
    expected = acs3_signature(credentials.access_key_secret, string_to_sign)
    if not _equal(expected, parsed.signature.lower()):
        raise SignatureDoesNotMatch(
            f"{SignatureDoesNotMatch.message} server string to sign is:{string_to_sign}"
            f" server canonical request is:{canonical}"
        )
    return credentials


# --- shared checks --------------------------------------------------------------------


def _caller(keys: KeyLookup, access_key_id: str, now: float, token: str | None) -> Credentials:
    """The caller's pair; a temporary one must come with its own token."""
    try:
        found = keys.find(access_key_id, now)
    except SecurityTokenExpired:
        raise InvalidSecurityTokenExpired() from None
    if found is None:
        raise InvalidAccessKeyIdNotFound()
    if found.security_token is not None:
        if not token:
            raise MissingSecurityToken()
        if not _equal(token, found.security_token):
            raise InvalidSecurityTokenMismatch()
    return found


def parse_timestamp(value: str) -> float | None:
    """``YYYY-MM-DDTHH:MM:SS[.fff]Z`` as epoch seconds, or None."""
    match = _TIMESTAMP.fullmatch(value)
    return None if match is None else epoch(match.groups())


def _check_time(value: str | None, now: float) -> None:
    if not value:
        raise MissingTimestamp()
    when = parse_timestamp(value)
    if when is None:
        raise InvalidTimeStampFormat()
    if abs(when - now) > SKEW_LIMIT:
        raise InvalidTimeStampExpired()


def _equal(left: str, right: str) -> bool:
    return hmac.compare_digest(
        left.encode("utf-8", "surrogatepass"), right.encode("utf-8", "surrogatepass")
    )
