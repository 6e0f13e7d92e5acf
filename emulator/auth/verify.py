"""Request authentication: scheme dispatch, credential checks, signature match (rest-api.md §3).

``verify`` takes a request as received, the candidate (bucket, key) readings of it, a
keyring (the configured pair and the local STS's temporary pairs, ``auth.keyring``;
decisions.md R7, S1) and the current time, and returns which reading verified under which
scheme, or raises the ``OSSError`` a client must see (§3 checks table, §7 details):

- dispatch follows the §3 table (:data:`SCHEMES`); OPTIONS, PostObject and the control
  endpoints are answered by the app before it calls ``verify``;
- access key id (unknown: ``InvalidAccessKeyId``; an expired STS key:
  ``SecurityTokenExpired``, raised by the keyring), then the security token of a
  temporary pair (§6, §17 G6), then presigned expiry or the 15-minute clock skew
  (§17 G2), then the signature;
- readings are tried in order and the first that verifies wins (decisions.md R1); if none
  does, ``SignatureDoesNotMatch`` shows the first reading's string to sign;
- tolerated client quirks, each tried only after the plain form failed: V1 without
  ``x-oss-process`` (§4.2, G3) and empty query values written ``name=`` (§5.5, G4).

Emulator choices where OSS is silent (tests must not depend on the wording):

- a header-signed request whose date cannot be read (absent or unparseable ``x-oss-date``
  / ``Date``) is refused with ``AccessDenied`` when the skew check is on; not
  ``RequestTimeTooSkewed``, because the browser ali-oss retries that error with an offset
  computed from ``ServerTime`` (§3), which cannot help here;
- a presigned URL whose ``Expires`` / ``x-oss-date`` / ``x-oss-expires`` is not a
  well-formed number or timestamp is refused with ``AccessDenied``;
- an ``Authorization`` header of another scheme (``AWS …``, ``Bearer …``) is refused with
  ``AccessDenied``; ``OSS2`` (oss2 ``AuthV2``), header or ``x-oss-signature-version=OSS2``
  query, with ``SignatureDoesNotMatch`` (§17 G5);
- a blank ``Authorization`` header counts as absent.

Pure (style.md §2.1): time is the ``now`` parameter; no I/O.
"""

from __future__ import annotations

import calendar
import hmac
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import combinations

from emulator.auth import v1, v4
from emulator.auth.canonical import SUB_RESOURCES, normalized_headers, utf8
from emulator.auth.model import Credentials, KeyLookup, Reading, SignedRequest, Verified
from emulator.errors import (
    AccessDenied,
    InvalidAccessKeyId,
    InvalidArgument,
    RequestTimeTooSkewed,
    SignatureDoesNotMatch,
)
from emulator.timestamps import epoch

SKEW_LIMIT = 15 * 60  # §3: header-signed requests more than 15 minutes off are refused
MAX_EMPTY_RETRIES = 6  # §5.5: try every subset of at most this many empty-valued names

EXPIRED = "Request has expired."  # §3
INVALID_TOKEN = "The security token you provided is invalid."  # §17 G6
EC_V1_HEADER_MISMATCH = "0002-00000040"  # §10.2: SignatureDoesNotMatch, V1 header only
MIXED_CARRIERS = (
    "Only one authentication method is allowed: the Authorization header or the "
    "OSSAccessKeyId, Expires and Signature query parameters."
)
UNSUPPORTED_AUTHORIZATION = (
    "Unsupported Authorization header: the emulator accepts OSS (V1) and OSS4-HMAC-SHA256 (V4)."
)
OSS2_REFUSED = (
    SignatureDoesNotMatch.message + " Signature version 2 (OSS2) is not supported by the "
    "emulator; sign with V1 or V4."
)
INVALID_V1_DATE = "Invalid date: send an RFC 1123 Date or x-oss-date header."
INVALID_V4_DATE = "Invalid x-oss-date header: expected yyyymmddTHHMMSSZ."
INVALID_EXPIRES = "Invalid Expires: expected seconds since the epoch."
INVALID_V4_PRESIGN = "Invalid x-oss-date or x-oss-expires query parameter."

_V1_QUERY_CARRIERS = ("OSSAccessKeyId", "Expires", "Signature")
_SECONDS = re.compile(r"[0-9]{1,15}")
_BASIC_ISO8601 = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


def verify(
    req: SignedRequest,
    readings: Sequence[Reading],
    keyring: KeyLookup,
    now: float,
    *,
    skew_check: bool = True,
) -> Verified:
    """Authenticate a request (rest-api.md §3-§7, decisions.md R1, R7).

    Args:
        req: the request as received.
        readings: candidate (bucket, key) readings, virtual-host reading first (R1).
        keyring: finds the pair of the request's access key id (a single
            ``Credentials`` is a keyring of one pair); a pair with a security token is
            temporary.
        now: the current time, epoch seconds.
        skew_check: refuse header-signed requests dated more than 15 minutes from ``now``.

    Returns:
        The reading that verified, the access key id and the scheme (``v1-header``,
        ``v1-query``, ``v4-header`` or ``v4-query``).

    Raises:
        InvalidArgument: an ``Authorization`` header together with V1 URL parameters.
        AccessDenied: anonymous request, expired URL, malformed V4 credential, unreadable
            date, unsupported ``Authorization`` scheme.
        InvalidAccessKeyId: unknown access key id, or a missing or wrong security token.
        SecurityTokenExpired: a temporary key of the local STS past its expiry.
        RequestTimeTooSkewed: header date more than 15 minutes from ``now``.
        SignatureDoesNotMatch: no reading verifies; details show the first reading's
            string to sign.
        ValueError: ``readings`` is empty (a caller bug).
    """
    if not readings:
        raise ValueError("verify needs at least one reading")
    req = replace(req, headers=normalized_headers(req.headers))
    return SCHEMES[scheme_of(req)](req, tuple(readings), keyring, now, skew_check)


def scheme_of(req: SignedRequest) -> str:
    """Name the authentication scheme of a request, first matching row of §3 wins.

    Args:
        req: the request; header names lower-cased.

    Returns:
        A key of :data:`SCHEMES`.
    """
    authorization = req.headers.get("authorization", "").strip()
    if authorization:
        if any(req.has_query(name) for name in _V1_QUERY_CARRIERS):
            return "mixed"
        if authorization.startswith(v1.AUTHORIZATION_PREFIX):
            return "v1-header"
        if authorization.startswith(v4.ALGORITHM):
            return "v4-header"
        if authorization.startswith("OSS2 "):
            return "oss2"
        return "unsupported"
    if req.has_query("OSSAccessKeyId") and req.has_query("Signature"):
        return "v1-query"
    version = req.query_value("x-oss-signature-version")
    if version == v4.ALGORITHM:
        return "v4-query"
    if version == "OSS2":
        return "oss2"
    return "anonymous"


# --- the four schemes ---------------------------------------------------------------


def _v1_header(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """``Authorization: OSS <ak>:<signature>`` (§4.1)."""
    access_key_id, provided = v1.parse_authorization(req.headers["authorization"].strip())
    credentials = _credentials(keyring, access_key_id, now)
    # §6: oss2 and ali-oss send x-oss-security-token (signed); v2 a plain security-token.
    headers = req.headers
    _check_token(
        credentials,
        access_key_id,
        headers.get("x-oss-security-token", headers.get("security-token")),
    )
    if skew_check:
        _check_skew(_http_date(v1.date_slot(headers)), now, INVALID_V1_DATE)
    secret = credentials.access_key_secret
    return _settle(
        "v1-header",
        access_key_id,
        provided,
        readings,
        _v1_candidates(req, None),
        lambda sts: v1.sign(secret, sts),
        ec=EC_V1_HEADER_MISMATCH,
    )


def _v1_query(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """``?OSSAccessKeyId=…&Expires=…&Signature=…[&security-token=…]`` (§4.3)."""
    access_key_id = req.query_value("OSSAccessKeyId") or ""
    # Base64 never contains a space: one here is a '+' the client left unencoded.
    provided = (req.query_value("Signature") or "").replace(" ", "+")
    credentials = _credentials(keyring, access_key_id, now)
    _check_token(credentials, access_key_id, req.query_value("security-token"))
    expires = req.query_value("Expires") or ""
    if not _SECONDS.fullmatch(expires):
        raise AccessDenied(INVALID_EXPIRES)
    if int(expires) < now:  # §4.3: Expires is absolute; expired when in the past
        raise AccessDenied(EXPIRED)
    secret = credentials.access_key_secret
    return _settle(
        "v1-query",
        access_key_id,
        provided,
        readings,
        _v1_candidates(req, expires),
        lambda sts: v1.sign(secret, sts),
    )


def _v4_header(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """``Authorization: OSS4-HMAC-SHA256 Credential=…,Signature=…`` (§5.1)."""
    authorization = v4.parse_authorization(req.headers["authorization"].strip())
    credential = authorization.credential
    credentials = _credentials(keyring, credential.access_key_id, now)
    _check_token(credentials, credential.access_key_id, req.headers.get("x-oss-security-token"))
    timestamp = req.headers.get("x-oss-date", "")
    if skew_check:
        _check_skew(_basic_iso8601(timestamp), now, INVALID_V4_DATE)
    return _settle_v4(
        "v4-header",
        credentials,
        credential,
        authorization.signature,
        readings,
        _v4_candidates(
            req, timestamp, credential, authorization.additional_headers, presigned=False
        ),
    )


def _v4_query(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """``?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=…`` (§5.4)."""
    credential = v4.parse_credential(req.query_value("x-oss-credential") or "")
    credentials = _credentials(keyring, credential.access_key_id, now)
    _check_token(credentials, credential.access_key_id, req.query_value("x-oss-security-token"))
    timestamp = req.query_value("x-oss-date") or ""
    signed_at = _basic_iso8601(timestamp)
    expires = req.query_value("x-oss-expires") or ""
    if signed_at is None or not _SECONDS.fullmatch(expires):
        raise AccessDenied(INVALID_V4_PRESIGN)
    # §5.4: x-oss-expires is relative to x-oss-date and at most 7 days.
    if int(expires) > v4.MAX_EXPIRES or signed_at + int(expires) < now:
        raise AccessDenied(EXPIRED)
    additional = (req.query_value("x-oss-additional-headers") or "").split(";")
    provided = req.query_value("x-oss-signature") or ""
    return _settle_v4(
        "v4-query",
        credentials,
        credential,
        provided,
        readings,
        _v4_candidates(req, timestamp, credential, additional, presigned=True),
    )


def _mixed(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """Authorization header and V1 URL parameters together: 400 (§3, §4.3)."""
    raise InvalidArgument(
        MIXED_CARRIERS,
        ArgumentName="Authorization",
        ArgumentValue=req.headers.get("authorization", ""),
    )


def _oss2(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """oss2 ``AuthV2``: not supported (§17 G5)."""
    raise SignatureDoesNotMatch(OSS2_REFUSED)


def _unsupported(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """An Authorization header of a scheme OSS does not define (emulator choice)."""
    raise AccessDenied(UNSUPPORTED_AUTHORIZATION)


def _anonymous(
    req: SignedRequest,
    readings: tuple[Reading, ...],
    keyring: KeyLookup,
    now: float,
    skew_check: bool,
) -> Verified:
    """No signature at all: refused while checking is on (R7, §17 G11)."""
    raise AccessDenied()


_Verifier = Callable[[SignedRequest, tuple[Reading, ...], KeyLookup, float, bool], Verified]

# rest-api.md §3, in the order scheme_of tests them.
SCHEMES: dict[str, _Verifier] = {
    "mixed": _mixed,
    "v1-header": _v1_header,
    "v4-header": _v4_header,
    "oss2": _oss2,
    "unsupported": _unsupported,
    "v1-query": _v1_query,
    "v4-query": _v4_query,
    "anonymous": _anonymous,
}


# --- checks -------------------------------------------------------------------------


def _equal(left: str, right: str) -> bool:
    """Constant-time string comparison (§4.4)."""
    return hmac.compare_digest(utf8(left), utf8(right))


def _credentials(keyring: KeyLookup, access_key_id: str, now: float) -> Credentials:
    """The pair of ``access_key_id``; unknown ids are refused (§3)."""
    found = keyring.find(access_key_id, now)
    if found is None:
        raise InvalidAccessKeyId(OSSAccessKeyId=access_key_id)
    return found


def _check_token(credentials: Credentials, access_key_id: str, presented: str | None) -> None:
    """A temporary pair needs its own token in the scheme's carrier (§6, §17 G6).

    A permanent pair ignores any token the client sends.
    """
    expected = credentials.security_token
    if expected is None:
        return
    if presented is None or not _equal(presented, expected):
        raise InvalidAccessKeyId(INVALID_TOKEN, OSSAccessKeyId=access_key_id)


def _check_skew(when: float | None, now: float, unreadable: str) -> None:
    """Refuse a header date more than 15 minutes from ``now`` (§3, §17 G2)."""
    if when is None:
        raise AccessDenied(unreadable)
    if abs(when - now) > SKEW_LIMIT:
        raise RequestTimeTooSkewed(ServerTime=server_time(now))


def server_time(now: float) -> str:
    """``now`` as the ISO 8601 UTC ``ServerTime`` element, e.g. ``2026-11-25T19:56:42.000Z``."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


_RFC1123 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"
)
_MONTHS = {
    name: n
    for n, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _http_date(value: str) -> float | None:
    """An RFC 1123 date as epoch seconds, or None when it cannot be read."""
    match = _RFC1123.fullmatch(value)  # what every SDK sends: the fast path
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        try:
            return float(
                calendar.timegm(
                    (int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
                )
            )
        except (ValueError, OverflowError):
            return None
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000": UTC with no source zone (RFC 5322 §3.3)
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def _basic_iso8601(value: str) -> float | None:
    """A V4 ``yyyymmddTHHMMSSZ`` timestamp as epoch seconds, or None (§5.3)."""
    match = _BASIC_ISO8601.fullmatch(value)
    return None if match is None else epoch(match.groups())


# --- signature matching (R1 readings, §4.2 and §5.5 retries) --------------------------


@dataclass(frozen=True)
class _Candidate:
    """One string to sign the client may have used (and its V4 canonical request)."""

    string_to_sign: str
    canonical_request: str | None = None


_Candidates = Callable[[Reading], Iterator[_Candidate]]


def _settle(
    scheme: str,
    access_key_id: str,
    provided: str,
    readings: tuple[Reading, ...],
    candidates: _Candidates,
    signer: Callable[[str], str],
    *,
    ec: str | None = None,
) -> Verified:
    """Return the first reading with a verifying candidate, else raise with the first one's."""
    first: _Candidate | None = None
    for reading in readings:
        for candidate in candidates(reading):
            if first is None:
                first = candidate
            if _equal(signer(candidate.string_to_sign), provided):
                return Verified(reading, access_key_id, scheme)
    assert first is not None  # every reading yields its plain candidate first
    sts = first.string_to_sign
    error = SignatureDoesNotMatch(
        ec=ec,
        OSSAccessKeyId=access_key_id,
        SignatureProvided=provided,
        StringToSign=sts,
        StringToSignBytes=" ".join(f"{byte:02X}" for byte in utf8(sts)),
    )
    if first.canonical_request is not None:  # R6: V4 errors also show the canonical request
        error.details["CanonicalRequest"] = first.canonical_request
    raise error


def _settle_v4(
    scheme: str,
    credentials: Credentials,
    credential: v4.Credential,
    provided: str,
    readings: tuple[Reading, ...],
    candidates: _Candidates,
) -> Verified:
    key = v4.signing_key(
        credentials.access_key_secret, credential.date, credential.region, credential.product
    )
    return _settle(
        scheme,
        credential.access_key_id,
        provided,
        readings,
        candidates,
        lambda sts: v4.sign(key, sts),
    )


def _v1_candidates(req: SignedRequest, date_override: str | None) -> _Candidates:
    """Plain V1 string first, then without ``x-oss-process`` (§4.2), then ``name=`` (§5.5)."""
    drops: list[frozenset[str]] = [frozenset()]
    if req.has_query("x-oss-process"):
        drops.append(frozenset({"x-oss-process"}))
    empty = _subsets({name for name, value in req.query if not value and name in SUB_RESOURCES})

    def generate(reading: Reading) -> Iterator[_Candidate]:
        seen: set[str] = set()
        for drop in drops:
            for equals in empty:
                sts = v1.string_to_sign(
                    req, reading, date_override=date_override, drop=drop, empty_with_equals=equals
                )
                if sts not in seen:
                    seen.add(sts)
                    yield _Candidate(sts)

    return generate


def _v4_candidates(
    req: SignedRequest,
    timestamp: str,
    credential: v4.Credential,
    additional: Sequence[str],
    *,
    presigned: bool,
) -> _Candidates:
    """Plain V4 canonical request first, then empty values written ``name=`` (§5.5)."""
    empty = _subsets(
        {
            name
            for name, value in req.query
            if not value and not (presigned and name == "x-oss-signature")
        }
    )

    def generate(reading: Reading) -> Iterator[_Candidate]:
        for equals in empty:
            canonical = v4.canonical_request(
                req, reading, additional, presigned=presigned, empty_with_equals=equals
            )
            yield _Candidate(v4.string_to_sign(timestamp, credential.scope, canonical), canonical)

    return generate


def _subsets(names: set[str]) -> list[frozenset[str]]:
    """The ``name=`` variants to try, the empty set (plain form) first (§5.5).

    Every subset when there are at most :data:`MAX_EMPTY_RETRIES` names; otherwise only
    "none" and "all", which covers ali-oss (it writes every empty value as ``name=``).
    """
    ordered = sorted(names)
    if len(ordered) > MAX_EMPTY_RETRIES:
        return [frozenset(), frozenset(ordered)]
    return [
        frozenset(combo)
        for size in range(len(ordered) + 1)
        for combo in combinations(ordered, size)
    ]
