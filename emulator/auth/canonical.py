"""Canonical forms shared by the V1 and V4 signatures (rest-api.md §4.1, §4.2, §5.2).

Everything here turns a request's parts (decoded bucket and key, decoded query pairs,
lower-cased headers) into the exact text a signature covers:

- V1: the sub-resource set (§4.2), ``CanonicalizedOSSHeaders`` and
  ``CanonicalizedResource`` (§4.1);
- V4: ``uri_encode``, the canonical URI, query and headers (§5.2).

Pure (style.md §2.1): values in, strings out; no clock, no I/O. Strings may hold lone
surrogates when a client sends garbage; every encoding step uses ``surrogatepass`` so that
such input yields a string that simply fails to verify instead of an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote

from emulator.auth.model import Reading

# rest-api.md §4.2: the union of the documented list, oss2's ``_subresource_key_set`` and
# alibabacloud_oss_v2's base list. Names are case-sensitive. ``x-oss-process`` is signed by
# oss2 and ali-oss but not by v2; verify.py retries without it (§4.2, §17 G3).
SUB_RESOURCES: frozenset[str] = frozenset(
    """
    accessPoint accessPointPolicy acl append asyncFetch bucketArchiveDirectRead bucketInfo
    callback callback-var cloudboxes cname comp continuation-token cors delete encryption
    endTime group httpsConfig img inventory inventoryId lifecycle link live location logging
    metaQuery objectInfo objectMeta partNumber policy position publicAccessBlock qos qosInfo
    qosRequester redundancyTransition referer regionList replication replicationLocation
    replicationProgress requesterQosInfo requestPayment resourceGroup resourcePool
    resourcePoolBuckets resourcePoolInfo response-cache-control response-content-disposition
    response-content-encoding response-content-language response-content-type
    response-expires restore security-token sequential startTime stat status style styleName
    symlink tagging transferAcceleration uploadId uploads versionId versioning versions vod
    website worm wormExtend wormId x-oss-ac-forward-allow x-oss-ac-source-ip
    x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-access-point-name x-oss-async-process
    x-oss-process x-oss-redundancy-transition-taskid x-oss-request-payer
    x-oss-target-redundancy-type x-oss-traffic-limit x-oss-write-get-object-response
    """.split()
)

# rest-api.md §5.2: the payload line when the client sends no x-oss-content-sha256.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# rest-api.md §5.2: headers V4 always signs besides x-oss-*.
V4_DEFAULT_SIGNED = frozenset({"content-type", "content-md5"})


def utf8(text: str) -> bytes:
    """Encode text as UTF-8, passing lone surrogates through instead of raising."""
    return text.encode("utf-8", "surrogatepass")


class NormalizedHeaders(dict[str, str]):
    """Headers already lower-cased and stripped: normalising them again is a no-op.

    Verification normalises once and then builds several strings to sign from the result;
    this type lets each of them skip the work (five dict rebuilds per request otherwise).
    """


def normalized_headers(headers: Mapping[str, str]) -> NormalizedHeaders:
    """Lower-case names and strip values (§4.1, §5.5: "lower-case header names, trim values").

    Args:
        headers: the request headers; names in any case.

    Returns:
        A mapping of lower-cased name to stripped value (``headers`` itself when it is one).
    """
    if isinstance(headers, NormalizedHeaders):
        return headers
    return NormalizedHeaders((name.lower(), value.strip()) for name, value in headers.items())


def resource_path(reading: Reading) -> str:
    """The decoded resource of a reading: ``/``, ``/bucket/`` or ``/bucket/key`` (§4.1).

    Args:
        reading: bucket None means a service request; key None or empty a bucket request.

    Returns:
        The path both signature versions start from (decoded, not percent-encoded).
    """
    if reading.bucket is None:
        return "/"
    return f"/{reading.bucket}/{reading.key or ''}"


# --- V1 (rest-api.md §4.1, §4.2) ------------------------------------------------------


def v1_oss_headers(headers: Mapping[str, str]) -> str:
    """``CanonicalizedOSSHeaders``: every ``x-oss-*`` header as ``name:value\\n``, sorted (§4.1).

    Args:
        headers: request headers (any case; values are stripped here).

    Returns:
        The block, or the empty string when there are no ``x-oss-*`` headers.
    """
    signed = sorted(
        (name, value)
        for name, value in normalized_headers(headers).items()
        if name.startswith("x-oss-")
    )
    return "".join(f"{name}:{value}\n" for name, value in signed)


def v1_resource(
    reading: Reading,
    query: Iterable[tuple[str, str]],
    *,
    drop: frozenset[str] = frozenset(),
    empty_with_equals: frozenset[str] = frozenset(),
) -> str:
    """``CanonicalizedResource`` (§4.1): the decoded resource plus its sub-resources.

    Args:
        reading: the bucket and key the request is read as.
        query: decoded query pairs, in any order.
        drop: sub-resource names to leave out (the ``x-oss-process`` retry, §4.2).
        empty_with_equals: names whose empty value is written ``name=`` instead of bare
            ``name`` (the ali-oss retry, §5.5).

    Returns:
        ``/bucket/key?acl&partNumber=1``-style text with decoded values.
    """
    sub = sorted(
        (name, value) for name, value in query if name in SUB_RESOURCES and name not in drop
    )
    resource = resource_path(reading)
    if sub:
        resource += "?" + "&".join(
            _pair(name, value, name in empty_with_equals) for name, value in sub
        )
    return resource


# --- V4 (rest-api.md §5.2) ------------------------------------------------------------


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Percent-encode UTF-8 bytes except ``A-Z a-z 0-9 - _ . ~`` (and ``/`` if asked) (§5.2).

    Args:
        text: decoded text.
        keep_slash: keep ``/`` (the canonical URI) instead of writing ``%2F`` (the query).

    Returns:
        The encoded text, with uppercase hex digits.
    """
    return quote(text, safe="-_.~/" if keep_slash else "-_.~", errors="surrogatepass")


def v4_canonical_uri(reading: Reading) -> str:
    """The canonical URI: the decoded resource re-encoded, ``/`` kept (§5.2).

    The bucket is in it even for virtual-host requests.
    """
    return uri_encode(resource_path(reading), keep_slash=True)


def v4_canonical_query(
    query: Iterable[tuple[str, str]],
    *,
    exclude: frozenset[str] = frozenset(),
    empty_with_equals: frozenset[str] = frozenset(),
) -> str:
    """The canonical query string (§5.2; presigned requests exclude ``x-oss-signature``, §5.4).

    Args:
        query: decoded query pairs.
        exclude: parameter names left out.
        empty_with_equals: decoded names whose empty value is written ``name=`` (§5.5).

    Returns:
        Encoded pairs sorted by encoded name then value, joined with ``&``.
    """
    encoded = sorted(
        (uri_encode(name), uri_encode(value), name in empty_with_equals)
        for name, value in query
        if name not in exclude
    )
    return "&".join(_pair(name, value, equals) for name, value, equals in encoded)


def v4_additional_headers(names: Iterable[str]) -> tuple[str, ...]:
    """Normalise an ``AdditionalHeaders`` list: lower-case, trimmed, de-duplicated, sorted.

    oss2 sends the list sorted by first character only but signs it fully sorted, so the
    order as sent is never used (§5.5).
    """
    return tuple(sorted({name.strip().lower() for name in names if name.strip()}))


def v4_canonical_headers(headers: Mapping[str, str], additional: Iterable[str]) -> str:
    """The canonical headers block, each ``name:value\\n`` (§5.2).

    Args:
        headers: request headers (any case).
        additional: normalised ``AdditionalHeaders`` names; ``host`` and ``date`` are signed
            only when listed here.

    Returns:
        ``x-oss-*``, ``content-type``, ``content-md5`` and the listed headers present in
        the request, sorted by name.
    """
    listed = frozenset(additional)
    signed = sorted(
        (name, value)
        for name, value in normalized_headers(headers).items()
        if name.startswith("x-oss-") or name in V4_DEFAULT_SIGNED or name in listed
    )
    return "".join(f"{name}:{value}\n" for name, value in signed)


def _pair(name: str, value: str, equals: bool) -> str:
    """``name=value``; an empty value is bare ``name`` unless ``equals`` (§4.1, §5.2, §5.5)."""
    if value or equals:
        return f"{name}={value}"
    return name
