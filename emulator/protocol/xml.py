"""OSS XML bodies: rendering responses and parsing request bodies.

Conventions of rest-api.md §9.9: declaration ``<?xml version="1.0" encoding="UTF-8"?>``,
no namespaces, UTF-8, times ``YYYY-MM-DDTHH:MM:SS.000Z`` (R5), booleans ``true``/``false``.
Shapes: errors §10.1 (R6), multipart §11, CORS §12.3, listings §13 (``encoding-type=url``
§13.3), bucket operations §14. Element sets and orders follow what oss2,
alibabacloud-oss-v2 and ali-oss read.

Rendering builds strings with escaping (``&``, ``<``, ``>``; CR as ``&#13;`` so that it
survives parsing). Characters XML 1.0 cannot carry are written as U+FFFD so the output is
always well-formed; object keys never contain them (``names.validate_object_key``).

Parsing goes through ``parse_xml_root``: bodies with a DTD are refused (no entity
expansion attacks), namespaces are dropped, and every failure is ``MalformedXML``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import quote

from emulator.errors import RECOMMEND_DOC, InvalidArgument, MalformedXML, OSSError
from emulator.protocol.cors import CORS_METHODS, CorsConfig, CorsRule
from emulator.protocol.headers import STORAGE_CLASSES, is_header_name, iso8601
from emulator.protocol.names import NOT_XML_CHAR
from emulator.storage.base import (
    BucketMeta,
    ObjectMeta,
    ObjectPage,
    PartPage,
    UploadMeta,
    UploadPage,
)

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: DeleteMultipleObjects accepts at most this many keys (§14).
MAX_DELETE_OBJECTS = 1000
#: PutBucketCors accepts at most this many rules (§12.3).
MAX_CORS_RULES = 10
#: A multipart upload has at most this many parts (§11).
MAX_PARTS = 10000

_DIGITS = re.compile(r"[0-9]{1,9}", re.ASCII)
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


# --- building blocks ------------------------------------------------------------------


def _esc(text: str) -> str:
    text = NOT_XML_CHAR.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _el(tag: str, value: str | int | bool) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = _esc(str(value))
    return f"<{tag}>{text}</{tag}>"


def _doc(root: str, *parts: str) -> bytes:
    return f"{DECLARATION}<{root}>{''.join(parts)}</{root}>".encode()


def encode_url(value: str) -> str:
    """Percent-encode a value for ``encoding-type=url`` (§13.3).

    RFC 3986: UTF-8 bytes, uppercase hex, ``%20`` for space, ``/`` encoded; only
    ``A-Z a-z 0-9 - _ . ~`` are kept.

    Args:
        value: the text to encode.

    Returns:
        The encoded text.
    """
    return quote(value, safe="", errors="surrogatepass")


def _maybe(value: str, encoding_url: bool) -> str:
    return encode_url(value) if encoding_url else value


def _encoding(encoding_url: bool) -> str:
    return _el("EncodingType", "url") if encoding_url else ""


def _owner(owner_id: str) -> str:
    return f"<Owner>{_el('ID', owner_id)}{_el('DisplayName', owner_id)}</Owner>"


def _region_names(region: str) -> tuple[str, str, str, str]:
    """(region, location, extranet endpoint, intranet endpoint) for ``cn-hangzhou``."""
    bare = region.removeprefix("oss-")
    location = f"oss-{bare}"
    return bare, location, f"{location}.aliyuncs.com", f"{location}-internal.aliyuncs.com"


# --- errors (§10.1) ---------------------------------------------------------------------


def render_error(err: OSSError, *, request_id: str, host_id: str) -> bytes:
    """Returns the UTF-8 ``<Error>`` body (R6, §10.1).

    Order: ``Code, Message, RequestId, HostId``, the error's details in order, then
    ``EC`` and ``RecommendDoc`` when the error has an EC (§17 G9).

    Args:
        err: the error.
        request_id: the response's ``x-oss-request-id``.
        host_id: the host the request addressed (S4).
    """
    parts = [
        _el("Code", err.code),
        _el("Message", err.error_message),
        _el("RequestId", request_id),
        _el("HostId", host_id),
    ]
    parts.extend(_el(name, str(value)) for name, value in err.details.items())
    if err.error_ec:
        parts.append(_el("EC", err.error_ec))
        parts.append(_el("RecommendDoc", RECOMMEND_DOC + err.error_ec))
    return _doc("Error", *parts)


# --- service and bucket operations (§13.4, §14) ---------------------------------------


def render_list_buckets(buckets: Sequence[BucketMeta], *, owner_id: str, region: str) -> bytes:
    """Returns the UTF-8 body of ``ListAllMyBucketsResult`` (§13.4).

    Args:
        buckets: the buckets, in name order.
        owner_id: the configured owner id.
        region: the configured region (``cn-hangzhou``).
    """
    bare, location, extranet, intranet = _region_names(region)
    entries = "".join(
        "<Bucket>"
        + _el("CreationDate", iso8601(bucket.created))
        + _el("ExtranetEndpoint", extranet)
        + _el("IntranetEndpoint", intranet)
        + _el("Location", location)
        + _el("Name", bucket.name)
        + _el("Region", bare)
        + _el("StorageClass", "Standard")
        + "</Bucket>"
        for bucket in buckets
    )
    return _doc("ListAllMyBucketsResult", _owner(owner_id), f"<Buckets>{entries}</Buckets>")


def render_bucket_info(bucket: BucketMeta, *, owner_id: str, region: str) -> bytes:
    """Returns the UTF-8 body of ``BucketInfo`` for GetBucketInfo (§14).

    Args:
        bucket: the bucket.
        owner_id: the configured owner id.
        region: the configured region.
    """
    _, location, extranet, intranet = _region_names(region)
    body = (
        _el("AccessMonitor", "Disabled")
        + _el("CreationDate", iso8601(bucket.created))
        + _el("ExtranetEndpoint", extranet)
        + _el("IntranetEndpoint", intranet)
        + _el("Location", location)
        + _el("StorageClass", "Standard")
        + _el("TransferAcceleration", "Disabled")
        + _el("CrossRegionReplication", "Disabled")
        + _el("Name", bucket.name)
        + _el("ResourceGroupId", "rg-default")
        + f"<Owner>{_el('DisplayName', owner_id)}{_el('ID', owner_id)}</Owner>"
        + f"<AccessControlList>{_el('Grant', 'private')}</AccessControlList>"
        + f"<ServerSideEncryptionRule>{_el('SSEAlgorithm', 'None')}</ServerSideEncryptionRule>"
        + "<BucketPolicy><LogBucket></LogBucket><LogPrefix></LogPrefix></BucketPolicy>"
    )
    return _doc("BucketInfo", f"<Bucket>{body}</Bucket>")


def render_bucket_location(region: str) -> bytes:
    """Returns the UTF-8 body of ``<LocationConstraint>oss-<region></LocationConstraint>`` (§14).

    Args:
        region: the configured region.
    """
    return _doc("LocationConstraint", _esc(_region_names(region)[1]))


def render_bucket_acl(owner_id: str) -> bytes:
    """Returns the UTF-8 body of ``AccessControlPolicy`` with a ``private`` grant (§14).

    Args:
        owner_id: the configured owner id.
    """
    return _doc(
        "AccessControlPolicy",
        _owner(owner_id),
        f"<AccessControlList>{_el('Grant', 'private')}</AccessControlList>",
    )


def parse_create_bucket(body: bytes) -> str | None:
    """Parse an optional ``CreateBucketConfiguration`` body of PutBucket (§14).

    Args:
        body: the request body; empty (or only whitespace) is fine.

    Returns:
        The requested storage class, or None when none is given.

    Raises:
        MalformedXML: the body is not a ``CreateBucketConfiguration``.
        InvalidArgument: the storage class is not one OSS knows.
    """
    if not body.strip():
        return None
    root = parse_xml_root(body, "CreateBucketConfiguration")
    node = root.find("StorageClass")
    if node is None:
        return None
    value = (node.text or "").strip()
    if value not in STORAGE_CLASSES:
        raise InvalidArgument(
            "Invalid storage class.", ArgumentName="StorageClass", ArgumentValue=value
        )
    return value


# --- listings (§13) -------------------------------------------------------------------


def _contents(obj: ObjectMeta, *, encoding_url: bool, owner_id: str | None) -> str:
    return (
        "<Contents>"
        + _el("Key", _maybe(obj.key, encoding_url))
        + _el("LastModified", iso8601(obj.last_modified))
        + _el("ETag", obj.etag)
        + _el("Type", obj.object_type)
        + _el("Size", obj.size)
        + _el("StorageClass", obj.attrs.storage_class)
        + (_owner(owner_id) if owner_id is not None else "")
        + "</Contents>"
    )


def _prefixes(prefixes: Sequence[str], encoding_url: bool) -> str:
    return "".join(
        f"<CommonPrefixes>{_el('Prefix', _maybe(p, encoding_url))}</CommonPrefixes>"
        for p in prefixes
    )


def render_list_objects(
    page: ObjectPage,
    *,
    bucket: str,
    prefix: str,
    marker: str,
    max_keys: int,
    delimiter: str,
    encoding_url: bool,
    owner_id: str,
) -> bytes:
    """Returns the UTF-8 body of ListObjects (V1) ``ListBucketResult`` (§13.1).

    ``NextMarker`` only when truncated, right after ``IsTruncated``; ``Owner`` in every
    ``Contents`` (ali-oss needs it).

    Args:
        page: the listing page.
        bucket: the bucket name.
        prefix: the ``prefix`` parameter.
        marker: the ``marker`` parameter.
        max_keys: the effective ``max-keys``.
        delimiter: the ``delimiter`` parameter.
        encoding_url: whether ``encoding-type=url`` was requested.
        owner_id: the configured owner id.
    """
    parts = [
        _el("Name", bucket),
        _el("Prefix", _maybe(prefix, encoding_url)),
        _el("Marker", _maybe(marker, encoding_url)),
        _el("MaxKeys", max_keys),
        _el("Delimiter", _maybe(delimiter, encoding_url)),
        _encoding(encoding_url),
        _el("IsTruncated", page.truncated),
    ]
    if page.truncated:
        parts.append(_el("NextMarker", _maybe(page.next_marker or "", encoding_url)))
    parts.extend(
        _contents(obj, encoding_url=encoding_url, owner_id=owner_id) for obj in page.objects
    )
    parts.append(_prefixes(page.common_prefixes, encoding_url))
    return _doc("ListBucketResult", *parts)


def render_list_objects_v2(
    page: ObjectPage,
    *,
    bucket: str,
    prefix: str,
    start_after: str,
    continuation_token: str | None,
    next_continuation_token: str | None,
    max_keys: int,
    delimiter: str,
    encoding_url: bool,
    fetch_owner: bool,
    owner_id: str,
) -> bytes:
    """Returns the UTF-8 body of ListObjectsV2 ``ListBucketResult`` (§13.2).

    ``StartAfter`` only when non-empty and ``ContinuationToken`` only when given;
    ``NextContinuationToken`` only when truncated; ``KeyCount`` counts ``Contents`` plus
    ``CommonPrefixes``; ``Owner`` only with ``fetch-owner=true``.

    Args:
        page: the listing page.
        bucket: the bucket name.
        prefix: the ``prefix`` parameter.
        start_after: the ``start-after`` parameter.
        continuation_token: the ``continuation-token`` parameter, or None.
        next_continuation_token: the token for the next page (used when truncated).
        max_keys: the effective ``max-keys``.
        delimiter: the ``delimiter`` parameter.
        encoding_url: whether ``encoding-type=url`` was requested.
        fetch_owner: whether ``fetch-owner=true`` was requested.
        owner_id: the configured owner id.
    """
    parts = [
        _el("Name", bucket),
        _el("Prefix", _maybe(prefix, encoding_url)),
        _el("MaxKeys", max_keys),
        _el("Delimiter", _maybe(delimiter, encoding_url)),
    ]
    if start_after:
        parts.append(_el("StartAfter", _maybe(start_after, encoding_url)))
    if continuation_token is not None:
        parts.append(_el("ContinuationToken", _maybe(continuation_token, encoding_url)))
    parts.append(_encoding(encoding_url))
    parts.append(_el("IsTruncated", page.truncated))
    if page.truncated:
        token = next_continuation_token or ""
        parts.append(_el("NextContinuationToken", _maybe(token, encoding_url)))
    parts.append(_el("KeyCount", len(page.objects) + len(page.common_prefixes)))
    owner = owner_id if fetch_owner else None
    parts.extend(_contents(obj, encoding_url=encoding_url, owner_id=owner) for obj in page.objects)
    parts.append(_prefixes(page.common_prefixes, encoding_url))
    return _doc("ListBucketResult", *parts)


# --- DeleteMultipleObjects (§14) --------------------------------------------------------


def parse_delete(body: bytes) -> tuple[list[str], bool]:
    """Parse a ``<Delete>`` body: ``[<Quiet>]``, then 1 to 1000 ``<Object><Key>``.

    Args:
        body: the request body.

    Returns:
        The keys (in order, as sent) and whether quiet mode was asked for.

    Raises:
        MalformedXML: not a ``Delete`` document, an ``Object`` without ``Key``, a
            ``Quiet`` other than true/false, no objects or more than 1000.
    """
    root = parse_xml_root(body, "Delete")
    quiet = False
    quiet_node = root.find("Quiet")
    if quiet_node is not None:
        quiet = _parse_bool(quiet_node.text)
    keys: list[str] = []
    for node in root.findall("Object"):
        key_node = node.find("Key")
        if key_node is None:
            raise MalformedXML()
        keys.append(key_node.text or "")
    if not keys or len(keys) > MAX_DELETE_OBJECTS:
        raise MalformedXML()
    return keys, quiet


def render_delete_result(keys: Sequence[str], *, quiet: bool, encoding_url: bool) -> bytes:
    """Returns the UTF-8 body of ``DeleteResult`` (§14); quiet mode gives ``<DeleteResult/>``.

    Args:
        keys: the keys reported as deleted (missing ones included, §17 G12).
        quiet: whether quiet mode was asked for.
        encoding_url: whether ``encoding-type=url`` was requested.
    """
    if quiet:
        return f"{DECLARATION}<DeleteResult/>".encode()
    deleted = "".join(f"<Deleted>{_el('Key', _maybe(key, encoding_url))}</Deleted>" for key in keys)
    return _doc("DeleteResult", _encoding(encoding_url), deleted)


# --- multipart (§11) ------------------------------------------------------------------


def render_initiate(bucket: str, key: str, upload_id: str, *, encoding_url: bool) -> bytes:
    """Returns the UTF-8 body of ``InitiateMultipartUploadResult`` (§11).

    Args:
        bucket: the bucket name.
        key: the object key (percent-encoded with ``encoding-type=url``).
        upload_id: the new upload id.
        encoding_url: whether ``encoding-type=url`` was requested.
    """
    return _doc(
        "InitiateMultipartUploadResult",
        _el("Bucket", bucket),
        _el("Key", _maybe(key, encoding_url)),
        _el("UploadId", upload_id),
        _encoding(encoding_url),
    )


def parse_complete(body: bytes) -> list[tuple[int, str]]:
    """Parse a ``CompleteMultipartUpload`` body (§11).

    Accepts ali-oss's declaration and newlines and ETags with or without quotes. Order
    and existence of parts are checked by storage (``InvalidPartOrder``, ``InvalidPart``).

    Args:
        body: the request body.

    Returns:
        ``(part number, ETag)`` pairs in the order sent; each ETag normalised to the
        stored form, quoted uppercase (R2).

    Raises:
        MalformedXML: not a ``CompleteMultipartUpload`` document, a ``Part`` without a
            decimal ``PartNumber`` or without ``ETag``, no parts or more than 10000.
    """
    root = parse_xml_root(body, "CompleteMultipartUpload")
    parts: list[tuple[int, str]] = []
    for node in root.findall("Part"):
        number = (node.findtext("PartNumber") or "").strip()
        etag = node.findtext("ETag")
        if _DIGITS.fullmatch(number) is None or etag is None:
            raise MalformedXML()
        parts.append((int(number), '"' + etag.strip().strip('"').upper() + '"'))
    if not parts or len(parts) > MAX_PARTS:
        raise MalformedXML()
    return parts


def render_complete(
    bucket: str, key: str, etag: str, location: str, *, encoding_url: bool
) -> bytes:
    """Returns the UTF-8 body of ``CompleteMultipartUploadResult`` (§11).

    Args:
        bucket: the bucket name.
        key: the object key (percent-encoded with ``encoding-type=url``).
        etag: the object's ETag, quoted.
        location: the object's URL (``http://b.oss-cn-hangzhou.aliyuncs.com/k``).
        encoding_url: whether ``encoding-type=url`` was requested.
    """
    return _doc(
        "CompleteMultipartUploadResult",
        _encoding(encoding_url),
        _el("Location", location),
        _el("Bucket", bucket),
        _el("Key", _maybe(key, encoding_url)),
        _el("ETag", etag),
    )


def render_list_parts(
    upload: UploadMeta,
    page: PartPage,
    *,
    part_number_marker: int,
    max_parts: int,
    encoding_url: bool,
) -> bytes:
    """Returns the UTF-8 body of ``ListPartsResult`` (§11).

    Args:
        upload: the upload.
        page: the page of parts.
        part_number_marker: the ``part-number-marker`` parameter.
        max_parts: the effective ``max-parts``.
        encoding_url: whether ``encoding-type=url`` was requested.
    """
    parts = "".join(
        "<Part>"
        + _el("PartNumber", part.part_number)
        + _el("LastModified", iso8601(part.last_modified))
        + _el("ETag", part.etag)
        + _el("HashCrc64ecma", part.crc64 & 0xFFFFFFFFFFFFFFFF)
        + _el("Size", part.size)
        + "</Part>"
        for part in page.parts
    )
    return _doc(
        "ListPartsResult",
        _encoding(encoding_url),
        _el("Bucket", upload.bucket),
        _el("Key", _maybe(upload.key, encoding_url)),
        _el("UploadId", upload.upload_id),
        _el("StorageClass", upload.attrs.storage_class),
        _el("PartNumberMarker", part_number_marker),
        _el("NextPartNumberMarker", page.next_part_number_marker),
        _el("MaxParts", max_parts),
        _el("IsTruncated", page.truncated),
        parts,
    )


def render_list_uploads(
    page: UploadPage,
    *,
    bucket: str,
    prefix: str,
    delimiter: str,
    key_marker: str,
    upload_id_marker: str,
    max_uploads: int,
    encoding_url: bool,
) -> bytes:
    """Returns the UTF-8 body of ``ListMultipartUploadsResult`` (§11).

    ``NextKeyMarker`` and ``NextUploadIdMarker`` are always present (oss2 requires them).

    Args:
        page: the page of uploads.
        bucket: the bucket name.
        prefix: the ``prefix`` parameter.
        delimiter: the ``delimiter`` parameter.
        key_marker: the ``key-marker`` parameter.
        upload_id_marker: the ``upload-id-marker`` parameter.
        max_uploads: the effective ``max-uploads``.
        encoding_url: whether ``encoding-type=url`` was requested.
    """
    uploads = "".join(
        "<Upload>"
        + _el("Key", _maybe(upload.key, encoding_url))
        + _el("UploadId", upload.upload_id)
        + _el("StorageClass", upload.attrs.storage_class)
        + _el("Initiated", iso8601(upload.initiated))
        + "</Upload>"
        for upload in page.uploads
    )
    return _doc(
        "ListMultipartUploadsResult",
        _encoding(encoding_url),
        _el("Bucket", bucket),
        _el("KeyMarker", _maybe(key_marker, encoding_url)),
        _el("UploadIdMarker", upload_id_marker),
        _el("NextKeyMarker", _maybe(page.next_key_marker, encoding_url)),
        _el("NextUploadIdMarker", page.next_upload_id_marker),
        _el("Delimiter", _maybe(delimiter, encoding_url)),
        _el("Prefix", _maybe(prefix, encoding_url)),
        _el("MaxUploads", max_uploads),
        _el("IsTruncated", page.truncated),
        uploads,
        _prefixes(page.common_prefixes, encoding_url),
    )


def render_copy_result(etag: str, last_modified: float) -> bytes:
    """Returns the UTF-8 body of ``CopyObjectResult``.

    v2 reads ``LastModified`` and ``ETag`` from it; oss2 reads the ``ETag`` header.

    Args:
        etag: the new object's ETag, quoted.
        last_modified: its modification time, epoch seconds.
    """
    return _doc("CopyObjectResult", _el("LastModified", iso8601(last_modified)), _el("ETag", etag))


def render_post_response(bucket: str, location: str, key: str, etag: str) -> bytes:
    """Returns the ``PostResponse`` of a PostObject with ``success_action_status=201`` (§8.4)."""
    return _doc(
        "PostResponse",
        _el("Bucket", bucket),
        _el("Location", location),
        _el("Key", key),
        _el("ETag", etag),
    )


# --- CORS (§12.3) -----------------------------------------------------------------------


def parse_cors(body: bytes) -> CorsConfig:
    """Parse a PutBucketCors ``CORSConfiguration`` body (§12.3).

    Each rule needs at least one ``AllowedOrigin`` and ``AllowedMethod``; at most 10
    rules. Methods are upper-cased and must be GET, PUT, POST, DELETE or HEAD;
    ``AllowedOrigin``/``AllowedHeader`` hold at most one ``*``; ``ExposeHeader`` none.
    Empty ``AllowedHeader``/``ExposeHeader`` entries are dropped; ``ID`` is ignored.

    Args:
        body: the request body (also used on the stored configuration).

    Returns:
        The configuration.

    Raises:
        MalformedXML: not a ``CORSConfiguration``, no rules, a rule without origin or
            method, a ``MaxAgeSeconds`` that is not a decimal, a ``ResponseVary`` other
            than true/false.
        InvalidArgument: more than 10 rules, an unknown method, a misplaced wildcard.
    """
    root = parse_xml_root(body, "CORSConfiguration")
    nodes = root.findall("CORSRule")
    if not nodes:
        raise MalformedXML()
    if len(nodes) > MAX_CORS_RULES:
        raise InvalidArgument(
            f"Maximum {MAX_CORS_RULES} CORS rules are allowed.",
            ArgumentName="CORSRule",
            ArgumentValue=str(len(nodes)),
        )
    rules = tuple(_parse_cors_rule(node) for node in nodes)
    vary_node = root.find("ResponseVary")
    vary = False if vary_node is None else _parse_bool(vary_node.text)
    return CorsConfig(rules=rules, response_vary=vary)


def _texts(node: ET.Element, tag: str) -> tuple[str, ...]:
    return tuple(text for child in node.findall(tag) if (text := (child.text or "").strip()))


def _parse_cors_rule(node: ET.Element) -> CorsRule:
    origins = _texts(node, "AllowedOrigin")
    methods = tuple(method.upper() for method in _texts(node, "AllowedMethod"))
    headers = _texts(node, "AllowedHeader")
    expose = _texts(node, "ExposeHeader")
    if not origins or not methods:
        raise MalformedXML()
    for method in methods:
        if method not in CORS_METHODS:
            raise InvalidArgument(
                f"Unsupported method {method}.",
                ArgumentName="AllowedMethod",
                ArgumentValue=method,
            )
    for name, values in (("AllowedOrigin", origins), ("AllowedHeader", headers)):
        for value in values:
            if value.count("*") > 1:
                raise InvalidArgument(
                    f"{name} can have at most one wildcard.",
                    ArgumentName=name,
                    ArgumentValue=value,
                )
    for value in expose:
        if "*" in value:
            raise InvalidArgument(
                "ExposeHeader can not have wildcard.",
                ArgumentName="ExposeHeader",
                ArgumentValue=value,
            )
        if not is_header_name(value):  # it is sent back in Access-Control-Expose-Headers
            raise InvalidArgument(
                "ExposeHeader must be a header name.",
                ArgumentName="ExposeHeader",
                ArgumentValue=value,
            )
    ages = node.findall("MaxAgeSeconds")
    max_age: int | None = None
    if len(ages) > 1:
        raise MalformedXML()
    if ages:
        text = (ages[0].text or "").strip()
        if _DIGITS.fullmatch(text) is None:
            raise MalformedXML()
        max_age = int(text)
    return CorsRule(origins, methods, headers, expose, max_age)


def render_cors(cfg: CorsConfig) -> bytes:
    """Returns the UTF-8 body of a ``CORSConfiguration`` for GetBucketCors (§12.3).

    Args:
        cfg: the configuration.
    """
    rules = []
    for rule in cfg.rules:
        parts = [_el("AllowedOrigin", v) for v in rule.allowed_origins]
        parts += [_el("AllowedMethod", v) for v in rule.allowed_methods]
        parts += [_el("AllowedHeader", v) for v in rule.allowed_headers]
        parts += [_el("ExposeHeader", v) for v in rule.expose_headers]
        if rule.max_age_seconds is not None:
            parts.append(_el("MaxAgeSeconds", rule.max_age_seconds))
        rules.append("<CORSRule>" + "".join(parts) + "</CORSRule>")
    return _doc("CORSConfiguration", *rules, _el("ResponseVary", cfg.response_vary))


# --- parsing helpers ------------------------------------------------------------------


def _parse_bool(text: str | None) -> bool:
    value = (text or "").strip().lower()
    if value not in ("true", "false"):
        raise MalformedXML()
    return value == "true"


def parse_xml_root(body: bytes, expected_tag: str) -> ET.Element:
    """Parse a request body and check its root element.

    Refuses any ``<!DOCTYPE`` or ``<!ENTITY`` (no entity expansion: billion laughs,
    external entities) and drops namespaces from every tag.

    Args:
        body: the request body.
        expected_tag: the required root tag.

    Returns:
        The root element.

    Raises:
        MalformedXML: DTD present, not well-formed, or another root tag.
    """
    if _DTD.search(body) is not None:
        raise MalformedXML()
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, ValueError, LookupError, UnicodeError) as exc:
        raise MalformedXML() from exc
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.rpartition("}")[2]
    if root.tag != expected_tag:
        raise MalformedXML()
    return root
