"""HTTP header values of OSS responses and requests: dates, ranges, conditions, metadata.

Implements rest-api.md §9.5 (object metadata on GET/HEAD), §9.6 (ranges, both the OSS
default and ``x-oss-range-behavior: standard``), §9.7 (conditional requests) and the
time formats of decisions R5 (``Last-Modified`` RFC 1123 GMT; XML ``.000Z``). The default
``Content-Type`` follows decisions A2 / rest-api.md §17 G1. Pure: values in, values out;
times are float epoch seconds passed in by the caller.
"""

from __future__ import annotations

import base64
import math
import mimetypes
import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime

from emulator.errors import InvalidArgument, InvalidRange, PreconditionFailed
from emulator.storage.base import ObjectAttrs, ObjectMeta

#: Storage classes OSS accepts (``x-oss-storage-class``, ``CreateBucketConfiguration``).
STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")

#: Standard headers OSS stores with an object and returns on GET/HEAD (§9.5), canonical
#: spelling, in the order they are answered.
STORED_HEADERS = (
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Expires",
)

#: GET query parameters that override a response header (§9.5).
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}

_RANGE_SPEC = re.compile(r"(\d*)-(\d*)", re.ASCII)
#: What a header value cannot carry (RFC 9110 §5.5): control characters other than tab.
NOT_FIELD_TEXT = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
#: A header name (RFC 9110 §5.1: a token).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def is_decimal(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²`` and ``١``, which ``int`` refuses
    or reads as another number."""
    return text.isascii() and text.isdigit()


def http_date(ts: float) -> str:
    """Format a time as an RFC 1123 GMT date (R5), e.g. ``Sat, 05 Dec 2015 11:10:29 GMT``.

    The day always has two digits and the zone is the literal ``GMT``, as oss2's strict
    ``_HTTP_GMT_RE`` requires (§9.5). Fractions of a second are dropped.

    Args:
        ts: seconds since the epoch.

    Returns:
        The formatted date.
    """
    return formatdate(math.floor(ts), usegmt=True)


def parse_http_date(text: str) -> float | None:
    """Parse an HTTP date (RFC 1123, RFC 850 or asctime form).

    Args:
        text: the header value.

    Returns:
        Seconds since the epoch, or None when the value is not a date (callers then
        ignore the header, as RFC 9110 §13.1.3/§13.1.4 say).
    """
    try:
        parsed = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # asctime form and "-0000": UTC, never the local zone
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def iso8601(ts: float) -> str:
    """Format a time for XML bodies: ``YYYY-MM-DDTHH:MM:SS.000Z`` (R5, §9.9).

    The milliseconds are always ``000``: oss2's ``_ISO8601_RE`` accepts nothing else.

    Args:
        ts: seconds since the epoch.

    Returns:
        The formatted UTC time.
    """
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(math.floor(ts)))


def parse_range(header: str | None, size: int, *, standard: bool) -> tuple[int, int] | None:
    """Resolve a ``Range`` header against an object of ``size`` bytes (§9.6).

    Default OSS behaviour: a range that is malformed or does not lie within
    ``0 .. size-1`` is ignored (the whole object, 200); of several ranges only the first
    is used ("OSS只返回第一个Range的数据", help.aliyun.com document 39571).
    ``standard`` (``x-oss-range-behavior: standard``, sent by the v2 Downloader): an end
    beyond the object is clipped, a suffix longer than the object selects all of it, a
    start at or beyond the size, an empty suffix (``-0``), any suffix of an empty object
    and several ranges are 416 ``InvalidRange``. A syntactically invalid header is
    ignored in both modes (RFC 9110 §14.2).

    Args:
        header: the ``Range`` header value, or None.
        size: the object size in bytes.
        standard: whether ``x-oss-range-behavior: standard`` was sent.

    Returns:
        ``(start, end)`` with ``end`` exclusive, or None for the whole object.

    Raises:
        InvalidRange: only in standard mode, for an unsatisfiable range.
    """
    if header is None:
        return None
    unit, sep, spec = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [part.strip() for part in spec.split(",")]
    parsed: list[tuple[str, str]] = []
    for part in specs:
        match = _RANGE_SPEC.fullmatch(part)
        if match is None or (not match[1] and not match[2]):
            return None
        parsed.append((match[1], match[2]))
        if not standard:
            break  # only the first range counts
    if standard and len(parsed) > 1:
        raise InvalidRange()
    first, last = parsed[0]
    if first and last and _number(last) < _number(first):
        return None
    return _resolve(first, last, size, standard=standard)


def _number(digits: str) -> int:
    """A decimal position; absurdly long ones become one beyond any object size."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 19 else 10**19


def _resolve(first: str, last: str, size: int, *, standard: bool) -> tuple[int, int] | None:
    if not first:  # suffix range: the last n bytes
        count = _number(last)
        if standard:
            if count == 0 or size == 0:
                raise InvalidRange()
            return (max(size - count, 0), size)
        if count == 0 or count > size:
            return None
        return (size - count, size)
    start = _number(first)
    if start >= size:
        if standard:
            raise InvalidRange()
        return None
    if not last:
        return (start, size)
    end = _number(last)
    if end >= size:
        if not standard:
            return None
        end = size - 1
    return (start, end + 1)


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _bare_etag(value: str) -> str:
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"').upper()


def _etag_matches(header: str, etag: str) -> bool:
    wanted = _bare_etag(etag)
    return any(token.strip() == "*" or _bare_etag(token) == wanted for token in header.split(","))


def evaluate_conditions(
    headers: Mapping[str, str], *, etag: str, last_modified: float
) -> int | None:
    """Evaluate ``If-Match``, ``If-Unmodified-Since``, ``If-None-Match``,
    ``If-Modified-Since`` on GET/HEAD, in the RFC 9110 §13.2.2 order (§9.7).

    ETags are compared without quotes and case-insensitively (R2; oss2's resumable
    download sends ``If-Match`` without quotes); ``*`` matches any object. Dates compare
    at second granularity (``Last-Modified`` has no fractions). An unparsable date is
    ignored. ``If-Unmodified-Since`` is only evaluated without ``If-Match``, and
    ``If-Modified-Since`` only without ``If-None-Match``.

    Args:
        headers: request headers (names in any case).
        etag: the object's ETag (quoted or not).
        last_modified: the object's modification time, epoch seconds.

    Returns:
        304 when the object is not modified, None to proceed.

    Raises:
        PreconditionFailed: with the ``Condition`` element naming the failed header.
    """
    lowered = _lowered(headers)
    modified = math.floor(last_modified)
    if_match = lowered.get("if-match")
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise PreconditionFailed(Condition="If-Match")
    else:
        since = _header_date(lowered, "if-unmodified-since")
        if since is not None and modified > since:
            raise PreconditionFailed(Condition="If-Unmodified-Since")
    if_none_match = lowered.get("if-none-match")
    if if_none_match is not None:
        return 304 if _etag_matches(if_none_match, etag) else None
    since = _header_date(lowered, "if-modified-since")
    if since is not None and modified <= since:
        return 304
    return None


def _header_date(lowered: Mapping[str, str], name: str) -> int | None:
    value = lowered.get(name)
    if value is None:
        return None
    parsed = parse_http_date(value)
    return None if parsed is None else math.floor(parsed)


def object_attrs_from_headers(headers: Mapping[str, str], key: str) -> ObjectAttrs:
    """Collect what a PutObject / Initiate / Append / PostObject request sets on an object.

    ``Content-Type`` is taken from the request, else guessed from the key's extension
    with ``mimetypes.guess_type``, else ``application/octet-stream`` (A2, §17 G1). The
    standard headers of ``STORED_HEADERS`` are kept with canonical names; every
    ``x-oss-meta-*`` header is kept, name lower-cased, in the order received.

    Args:
        headers: request headers (names in any case).
        key: the object key.

    Returns:
        The attributes to store.

    Raises:
        InvalidArgument: for an ``x-oss-storage-class`` outside ``STORAGE_CLASSES``.
    """
    lowered = _lowered(headers)
    content_type = lowered.get("content-type", "").strip()
    if not content_type:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    stored = tuple(
        (name, lowered[name.lower()]) for name in STORED_HEADERS if name.lower() in lowered
    )
    user_meta = tuple(
        (name.lower(), value)
        for name, value in headers.items()
        if name.lower().startswith("x-oss-meta-")
    )
    storage_class = lowered.get("x-oss-storage-class", "").strip() or "Standard"
    if storage_class not in STORAGE_CLASSES:
        raise InvalidArgument(
            "Invalid storage class.",
            ArgumentName="x-oss-storage-class",
            ArgumentValue=storage_class,
        )
    return ObjectAttrs(
        content_type=content_type,
        headers=stored,
        user_meta=user_meta,
        storage_class=storage_class,
    )


def object_response_headers(meta: ObjectMeta) -> list[tuple[str, str]]:
    """The metadata headers of a GET/HEAD answer (§9.5), without ``Content-Length``.

    ``x-oss-hash-crc64ecma`` is included: the caller drops it on 206 (R3). ``Content-MD5``
    only for Normal objects; ``x-oss-next-append-position`` (= size) for Appendable ones.

    Args:
        meta: the object.

    Returns:
        ``(name, value)`` pairs in answer order.
    """
    result = [
        ("Content-Type", meta.attrs.content_type),
        ("ETag", meta.etag),
        ("Last-Modified", http_date(meta.last_modified)),
        ("Accept-Ranges", "bytes"),
        ("x-oss-object-type", meta.object_type),
        ("x-oss-storage-class", meta.attrs.storage_class),
        ("x-oss-hash-crc64ecma", str(meta.crc64 & 0xFFFFFFFFFFFFFFFF)),
    ]
    if meta.object_type == "Normal" and meta.md5 is not None:
        result.append(("Content-MD5", base64.b64encode(meta.md5).decode("ascii")))
    result.extend(meta.attrs.headers)
    result.extend(meta.attrs.user_meta)
    if meta.object_type == "Appendable":
        result.append(("x-oss-next-append-position", str(meta.size)))
    return result


def is_header_name(name: str) -> bool:
    """Whether ``name`` can be sent as a header name (an RFC 9110 token).

    Args:
        name: the candidate, e.g. a PostObject ``x-oss-meta-*`` field or a CORS ``ExposeHeader``.

    Returns:
        True for a token (ASCII letters, digits and ``!#$%&'*+-.^_`|~``).
    """
    return _TOKEN.fullmatch(name) is not None


def header_text(name: str, value: str) -> str:
    """A header value a client gave as text (a form field, a query parameter), ready to send.

    Request headers arrive as bytes read as latin-1, and responses are written the same
    way; text decoded from UTF-8 elsewhere is turned into that form, so that non-ASCII
    characters travel as UTF-8, as they came. Surrounding spaces and tabs are dropped
    (HTTP allows none there). Emulator choice: a control character (CR, LF, NUL…) cannot
    be sent in a header at all and is refused rather than dropped.

    Args:
        name: the form field or parameter, for the error.
        value: the text.

    Returns:
        The value as the latin-1 reading of its UTF-8 bytes.

    Raises:
        InvalidArgument: the value holds a control character other than tab.
    """
    value = value.strip(" \t")
    if NOT_FIELD_TEXT.search(value) is not None:
        raise InvalidArgument(
            f"The value of {name} cannot be sent in a header.",
            ArgumentName=name,
            ArgumentValue=value,
        )
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


def response_overrides(query: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Translate ``response-*`` query parameters into response headers (§9.5).

    Parameter names are matched exactly (lower case, as OSS and the SDKs spell them).
    A parameter given twice: the last value wins, at the place of the first. Values are
    sent as UTF-8 (:func:`header_text`).

    Args:
        query: decoded query pairs, in order.

    Returns:
        ``(header name, value)`` pairs to set on a GET answer.

    Raises:
        InvalidArgument: a value holds a control character.
    """
    chosen: dict[str, str] = {}
    for name, value in query:
        header = RESPONSE_OVERRIDES.get(name)
        if header is not None:
            chosen[header] = header_text(name, value)
    return list(chosen.items())
