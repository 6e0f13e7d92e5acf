"""Which OSS operation a request is, and which bucket and key it names (rest-api.md §1.3, R1).

OSS picks the operation from the method, the target (service, bucket or object) and a
selecting sub-resource (``?uploads``, ``?uploadId``, ``?append``, ``?cors``…). All of that
is the one ``OPERATIONS`` table below (style.md rule 2). ``resolve`` returns every
candidate reading, virtual host first; signature checking settles which one the client
meant (R1).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from emulator import errors
from emulator.errors import InvalidArgument, InvalidBucketName, OSSError

Target = Literal["service", "bucket", "object"]


class Operation(enum.Enum):
    LIST_BUCKETS = "ListBuckets"
    PUT_BUCKET = "PutBucket"
    DELETE_BUCKET = "DeleteBucket"
    GET_BUCKET_INFO = "GetBucketInfo"
    GET_BUCKET_LOCATION = "GetBucketLocation"
    GET_BUCKET_ACL = "GetBucketAcl"
    LIST_OBJECTS = "ListObjects"
    LIST_OBJECTS_V2 = "ListObjectsV2"
    PUT_BUCKET_CORS = "PutBucketCors"
    GET_BUCKET_CORS = "GetBucketCors"
    DELETE_BUCKET_CORS = "DeleteBucketCors"
    DELETE_MULTIPLE_OBJECTS = "DeleteMultipleObjects"
    LIST_MULTIPART_UPLOADS = "ListMultipartUploads"
    POST_OBJECT = "PostObject"
    PUT_OBJECT = "PutObject"
    COPY_OBJECT = "CopyObject"
    GET_OBJECT = "GetObject"
    HEAD_OBJECT = "HeadObject"
    GET_OBJECT_META = "GetObjectMeta"
    DELETE_OBJECT = "DeleteObject"
    APPEND_OBJECT = "AppendObject"
    INITIATE_MULTIPART_UPLOAD = "InitiateMultipartUpload"
    UPLOAD_PART = "UploadPart"
    COMPLETE_MULTIPART_UPLOAD = "CompleteMultipartUpload"
    ABORT_MULTIPART_UPLOAD = "AbortMultipartUpload"
    LIST_PARTS = "ListParts"


# The selector is a query parameter that picks the operation, or None for the plain
# request. ``COPY`` stands for the ``x-oss-copy-source`` header, which turns a PUT on an
# object into CopyObject.
COPY = "header:x-oss-copy-source"

OPERATIONS: dict[tuple[str, Target, str | None], Operation] = {
    ("GET", "service", None): Operation.LIST_BUCKETS,
    ("PUT", "bucket", None): Operation.PUT_BUCKET,
    ("DELETE", "bucket", None): Operation.DELETE_BUCKET,
    ("GET", "bucket", "bucketInfo"): Operation.GET_BUCKET_INFO,
    ("GET", "bucket", "location"): Operation.GET_BUCKET_LOCATION,
    ("GET", "bucket", "acl"): Operation.GET_BUCKET_ACL,
    ("GET", "bucket", None): Operation.LIST_OBJECTS,
    ("GET", "bucket", "list-type"): Operation.LIST_OBJECTS_V2,
    ("PUT", "bucket", "cors"): Operation.PUT_BUCKET_CORS,
    ("GET", "bucket", "cors"): Operation.GET_BUCKET_CORS,
    ("DELETE", "bucket", "cors"): Operation.DELETE_BUCKET_CORS,
    ("POST", "bucket", "delete"): Operation.DELETE_MULTIPLE_OBJECTS,
    ("GET", "bucket", "uploads"): Operation.LIST_MULTIPART_UPLOADS,
    ("POST", "bucket", None): Operation.POST_OBJECT,
    ("PUT", "object", None): Operation.PUT_OBJECT,
    ("PUT", "object", COPY): Operation.COPY_OBJECT,
    ("GET", "object", None): Operation.GET_OBJECT,
    ("HEAD", "object", None): Operation.HEAD_OBJECT,
    ("HEAD", "object", "objectMeta"): Operation.GET_OBJECT_META,
    ("GET", "object", "objectMeta"): Operation.GET_OBJECT_META,
    ("DELETE", "object", None): Operation.DELETE_OBJECT,
    ("POST", "object", "append"): Operation.APPEND_OBJECT,
    ("POST", "object", "uploads"): Operation.INITIATE_MULTIPART_UPLOAD,
    ("PUT", "object", "uploadId"): Operation.UPLOAD_PART,
    ("POST", "object", "uploadId"): Operation.COMPLETE_MULTIPART_UPLOAD,
    ("DELETE", "object", "uploadId"): Operation.ABORT_MULTIPART_UPLOAD,
    ("GET", "object", "uploadId"): Operation.LIST_PARTS,
}

# Selectors in the order they are looked for: ``?uploadId`` beats ``?uploads`` never
# appearing together; ``list-type`` is a plain parameter but selects V2 listing.
SELECTORS: tuple[str, ...] = (
    "uploadId",
    "uploads",
    "append",
    "cors",
    "delete",
    "bucketInfo",
    "location",
    "acl",
    "objectMeta",
    "list-type",
)

# Query parameters that modify an operation without selecting another one. Any other
# OSS sub-resource (``?lifecycle``, ``?tagging``, ``?x-oss-process``…) names an operation
# the emulator does not implement: 501 NotImplemented rather than a silent wrong answer.
MODIFIERS: frozenset[str] = frozenset(
    {
        "partNumber",
        "position",
        "security-token",
        "callback",
        "callback-var",
        "versionId",
        "continuation-token",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "resourceGroup",
    }
)
UNIMPLEMENTED_SUBRESOURCES: frozenset[str] = frozenset(
    {
        "accessPoint",
        "accessPointPolicy",
        "asyncFetch",
        "bucketArchiveDirectRead",
        "cname",
        "comp",
        "encryption",
        "group",
        "httpsConfig",
        "img",
        "inventory",
        "lifecycle",
        "link",
        "live",
        "logging",
        "metaQuery",
        "objectInfo",
        "policy",
        "publicAccessBlock",
        "qos",
        "qosInfo",
        "referer",
        "regionList",
        "replication",
        "replicationLocation",
        "replicationProgress",
        "requestPayment",
        "restore",
        "stat",
        "status",
        "style",
        "symlink",
        "tagging",
        "transferAcceleration",
        "versioning",
        "versions",
        "vod",
        "website",
        "worm",
        "wormExtend",
        "wormId",
        "x-oss-process",
        "x-oss-async-process",
    }
)

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_BUILTIN_BASES = (
    re.compile(r"^localhost$"),
    re.compile(r"^oss-[a-z0-9-]+\.aliyuncs\.com$"),  # also oss-<region>-internal
    re.compile(r"^[a-z0-9-]+\.aliyuncs\.com$"),  # ali-oss region without "oss-"
)


@dataclass(frozen=True)
class Resolved:
    """One reading of a request: the operation and the bucket and key it names."""

    operation: Operation
    bucket: str | None
    key: str | None


class _Unset:
    """Marks an argument not given (None is a meaningful value: no virtual-host bucket)."""


UNSET = _Unset()


def split_host(host: str) -> str:
    """The host name of a ``Host`` header, without port, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def virtual_host_bucket(host: str, extra_bases: Sequence[str] = ()) -> str | None:
    """The bucket a ``Host`` of the form ``<bucket>.<base>`` names, else None (R1)."""
    name = split_host(host)
    label, dot, base = name.partition(".")
    if not dot or not BUCKET_NAME.match(label):
        return None
    if base in (b.lower() for b in extra_bases) or any(p.match(base) for p in _BUILTIN_BASES):
        return label
    return None


def decode_path(raw_path: str) -> str:
    """Percent-decode a request path as UTF-8; ``+`` stays ``+`` (§1.3)."""
    try:
        return unquote(raw_path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidArgument("The request path is not valid UTF-8 once decoded.") from None


def selector_of(method: str, query: Sequence[tuple[str, str]], has_copy_source: bool) -> str | None:
    """The query parameter (or ``COPY``) that selects the operation, if any."""
    names = {name for name, _ in query}
    for name in names:
        if name in UNIMPLEMENTED_SUBRESOURCES:
            raise errors.NotImplemented(
                f"The operation ?{name} is not implemented by the emulator."
            )
    for selector in SELECTORS:
        if selector in names:
            return selector
    if method == "PUT" and has_copy_source:
        return COPY
    return None


def _operation(method: str, target: Target, selector: str | None) -> Operation:
    operation = OPERATIONS.get((method, target, selector))
    if operation is None:
        what = f"{method} on {'the service' if target == 'service' else 'a ' + target}"
        raise errors.NotImplemented(
            f"{what}{' with ?' + selector if selector and selector != COPY else ''} "
            "is not implemented by the emulator."
        )
    return operation


def _reading(method: str, selector: str | None, bucket: str | None, key: str) -> Resolved:
    if bucket is None:
        return Resolved(_operation(method, "service", None), None, None)
    if not BUCKET_NAME.match(bucket):
        raise InvalidBucketName(BucketName=bucket)
    if key == "":
        return Resolved(_operation(method, "bucket", selector), bucket, None)
    return Resolved(_operation(method, "object", selector), bucket, key)


def _path_style(path: str) -> tuple[str | None, str]:
    rest = path[1:] if path.startswith("/") else path
    if not rest:
        return None, ""
    bucket, _, key = rest.partition("/")
    return bucket, key


def resolve(
    method: str,
    host: str,
    raw_path: str,
    query: Sequence[tuple[str, str]],
    *,
    has_copy_source: bool = False,
    virtual_host_bases: Sequence[str] = (),
    known_bucket: str | None | _Unset = UNSET,
) -> list[Resolved]:
    """Every reading of a request, virtual host first (R1).

    Virtual-host requests get a second, path-style reading when the path starts with the
    same bucket name: ali-oss Node with an IP endpoint and ``sldEnable`` sends
    ``Host: b.oss-cn-hangzhou.aliyuncs.com`` with path ``/b/k`` and signs ``/b/k``.

    Raises:
        NotImplemented: no operation matches the method, target and selector.
        InvalidBucketName: the path names a bucket that cannot exist.
        InvalidArgument: the path is not UTF-8 once decoded.
    """
    method = method.upper()
    selector = selector_of(method, query, has_copy_source)
    path = decode_path(raw_path or "/")
    vh_bucket = (
        virtual_host_bucket(host, virtual_host_bases)
        if isinstance(known_bucket, _Unset)
        else known_bucket  # the caller already read the Host header
    )
    if vh_bucket is None:
        bucket, key = _path_style(path)
        return [_reading(method, selector, bucket, key)]
    vh_key = path[1:] if path.startswith("/") else path
    bucket, key = _path_style(path)
    if bucket != vh_bucket:
        return [_reading(method, selector, vh_bucket, vh_key)]
    # Both readings: keep each that names an operation; if neither does, the virtual-host
    # reading's error stands (``/b/?list-type=2`` is an object GET under one reading).
    readings: list[Resolved] = []
    first_error: OSSError | None = None
    for candidate_bucket, candidate_key in ((vh_bucket, vh_key), (bucket, key)):
        try:
            readings.append(_reading(method, selector, candidate_bucket, candidate_key))
        except OSSError as err:
            first_error = first_error or err
    if not readings:
        assert first_error is not None
        raise first_error
    return readings
