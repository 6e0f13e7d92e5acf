"""Robustness over HTTP: no request, however malformed, gets a 500 or takes the emulator down.

Hypothesis builds requests from what the routing table knows (``routing.OPERATIONS``,
``SELECTORS``, ``MODIFIERS``; rest-api.md): an operation, then a method, a bucket (the
configured one, a missing one, invalid names), an object key (``emulator.strategies.
object_keys`` and awkward ones), sub-resources with valid and garbage values, headers
(ranges, copy source, callbacks, Content-MD5, metadata, conditionals…) and a body (random
bytes, XML that is malformed or well-formed but wrong, PostObject forms). Most requests carry
the V1 header signature the SDKs compute (``auth.v1``, rest-api.md §4.1), so that they reach
the handlers; the others are unsigned or badly signed.

Every answer must be a clear OSS answer (rest-api.md §10, decisions R6): no 500 (5xx only
501 NotImplemented or 503), an XML ``<Error>`` with ``Code`` and ``RequestId`` for a 4xx
(``x-oss-err`` for HEAD), no exception logged by the server, the server still healthy, no
object left behind by a failed upload, and an object a successful upload stored readable.

Requests go over raw sockets: httpx would drop ``..`` path segments, and Content-Length
mismatches and chunked bodies need the socket anyway. Responses are read with
``http.client.HTTPResponse``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import json
import logging
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.auth import v1
from emulator.auth.model import Reading, SignedRequest, parse_query
from emulator.auth.post_policy import expand_key, sign_form_v1, signature_v1
from emulator.config import Settings
from emulator.errors import OSSError
from emulator.protocol.headers import http_date
from emulator.receiver import CallbackReceiver
from emulator.routing import BUCKET_NAME, COPY, MODIFIERS, OPERATIONS, Operation, Resolved, resolve
from emulator.server import EmulatorServer
from emulator.strategies import any_templates, custom_vars, object_keys, well_formed_templates
from tests.conftest import FIXTURES

BUCKET = "robust-bucket"
MISSING = "no-such-bucket-7"
ORIGIN = "http://robust.example"
PNG = (FIXTURES / "images" / "sample.png").read_bytes()

# Placeholders the strategies write and ``render`` replaces: what only exists at run time.
UPLOAD_ID = "@UPLOAD@"  # a live multipart upload on the request's bucket and key
PART_ETAG = "@ETAG@"  # that upload's part 1 ETag, bare hex
RECEIVER = "@RECEIVER@"  # the callback receiver's URL
BODY_MD5 = "@MD5@"  # Content-MD5 of the body as sent
B64 = "@B64@"  # prefix: Base64 of the rest (callback carriers)

UPLOADS = frozenset(
    {
        Operation.PUT_OBJECT,
        Operation.COPY_OBJECT,
        Operation.APPEND_OBJECT,
        Operation.COMPLETE_MULTIPART_UPLOAD,
        Operation.POST_OBJECT,
    }
)
CALLBACK_OPERATIONS = (Operation.PUT_OBJECT, Operation.COMPLETE_MULTIPART_UPLOAD)
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "PROPFIND"]

# --- the request, as data ---------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A PostObject form: fields before ``file``, the file part, and how it is spoiled."""

    fields: tuple[tuple[str, str], ...]
    file: tuple[str | None, str | None, bytes] | None  # filename, Content-Type, data
    signed: str  # "v1", "wrong", "none"
    conditions: tuple[Any, ...]
    damage: str = ""  # "", "truncate", "boundary", "not-multipart", "file-first"
    policy: str | None = None  # a policy document of its own (JSON text), signed as sent


@dataclass(frozen=True)
class Spec:
    """One request: everything but what only exists at run time (placeholders above)."""

    method: str
    bucket: str | None  # None: a service request
    key: str | None  # None: a bucket request
    query: tuple[tuple[str, str | None, bool], ...] = ()  # name, value, already encoded
    headers: tuple[tuple[str, str], ...] = ()  # unicode values, sent as UTF-8
    body: bytes | Form = b""
    auth: str = "v1"  # "v1", "none", "wrong-secret", "wrong-ak", or an Authorization value
    framing: str = "length"  # Content-Length right, "chunked", "short", "long" or "huge"
    host: str = "path"  # Host: 127.0.0.1, "vhost", "aliyuncs" (virtual host), "localhost", "ipv6"
    path_tail: str = ""  # raw text appended to the encoded path
    slash_safe: bool = True  # keep "/" in the key unencoded
    precreate: str | None = None  # "normal" or "appendable" object at the key first


# --- strategies -------------------------------------------------------------------------

_TEXT_CHARS = st.characters(exclude_categories=["Cc", "Cs"])


def texts(max_size: int = 16) -> st.SearchStrategy[str]:
    """Header-safe text (no control characters; non-ASCII travels as UTF-8)."""
    return st.text(_TEXT_CHARS, max_size=max_size)


NUMBERS = [
    "",
    "0",
    "1",
    "2",
    "-1",
    "10000",
    "10001",
    "99999999999999999999999",
    "1.5",
    "abc",
    "\u00b2",  # superscript two: str.isdigit() says yes, int() says no
    "\u0661",  # Arabic-Indic one
    "0x10",
    " 1",
    "1e3",
]
ODD_KEYS = [
    "..",
    "../x",
    "a/../../b",
    ".",
    "./a",
    "a/",
    "a//b",
    "%41",
    "%",
    "a%2Fb",
    "中文/é.txt",
    "🎉",
    "k" * 1023,
    "k" * 1024,
    "é" * 512,
    "\\x",
    "/lead",
    "a?b#c",
    "a b+c",
    "tab\there",
    "line\nbreak",
    "cr\r",
    "_emulator/health",
    "callback_pub_key_v1.pem",
    "src",
]
BUCKETS = st.sampled_from(
    [BUCKET] * 24 + [MISSING, "Bad_Bucket", "ab", "a" * 64, "-lead", "tail-", "x.y", "中文"]
)
KEYS = st.one_of(object_keys(), st.sampled_from(ODD_KEYS))
DATES = [
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 01 Jan 0001 00:00:00 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "Sat, 99 Foo 2024 99:99:99 GMT",
    "Tue, 01 Jan 2999 00:00:00 +9999",
    "yesterday",
    "",
]
ETAGS = ["*", '"781E5E245D69B566979B86E28D23F2C7"', "781e5e245d69b566979b86e28d23f2c7", 'W/"x"']
CALLBACK_URLS = [
    RECEIVER,
    "http://127.0.0.1:1/cb",
    f"{RECEIVER};http://127.0.0.1:1/",
    f"http://127.0.0.1:1/;{RECEIVER}?a=1&b",
    "127.0.0.1:1",
    "https://127.0.0.1:1/",
    "ftp://127.0.0.1/",
    "http://[::1]:1/",
    "http://127.0.0.1:99999/",
    "http://user@127.0.0.1:1/",
    "http://127.0.0.1:1/a b",
    ";".join(["http://127.0.0.1:1"] * 6),
    "",
]
_JSON_JUNK = st.one_of(st.none(), st.booleans(), st.integers(), texts(8), st.just([]))


GOOD_URLS = CALLBACK_URLS[:4]
TEMPLATES = [
    "bucket=${bucket}&object=${object}&size=${size}&v=${x:v}",
    '{"o":${object},"s":${size},"w":${imageInfo.width},"f":"${imageInfo.format}"}',
    "m=${mimeType}&e=${etag}&c=${crc64}&md5=${contentMd5}&ip=${clientIp}&h=${imageInfo.height}",
]


@st.composite
def callback_params(draw: st.DrawFn) -> str:
    """A callback JSON object pointing only at loopback: mostly valid, else anything."""
    if draw(st.integers(0, 3)):  # valid: the upload goes through and the callback is sent
        doc: dict[str, Any] = {
            "callbackUrl": draw(st.sampled_from(GOOD_URLS)),
            "callbackBody": draw(st.one_of(st.sampled_from(TEMPLATES), well_formed_templates())),
        }
        if draw(st.booleans()):
            doc["callbackBodyType"] = draw(
                st.sampled_from(["application/json", "application/x-www-form-urlencoded"])
            )
        if draw(st.booleans()):
            doc["callbackHost"] = draw(st.sampled_from(["example.com", "a.b:1"]))
        if draw(st.booleans()):
            doc["additionalHeaders"] = {"x-a": draw(st.sampled_from(["1", "中", ""]))}
        return B64 + json.dumps(doc, ensure_ascii=draw(st.booleans()))
    doc = {}
    if draw(st.integers(0, 5)):
        doc["callbackUrl"] = draw(st.one_of(st.sampled_from(CALLBACK_URLS), _JSON_JUNK))
    if draw(st.integers(0, 5)):
        doc["callbackBody"] = draw(
            st.one_of(st.sampled_from(TEMPLATES), any_templates(), _JSON_JUNK)
        )
    optional = {
        "callbackBodyType": st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
        ),
        "callbackHost": st.one_of(st.sampled_from(["example.com", "a b", ""]), _JSON_JUNK),
        "callbackSNI": st.one_of(st.booleans(), _JSON_JUNK),
        "signatureVersion": st.sampled_from(["1.0", "2.0", ""]),
        "additionalHeaders": st.one_of(
            st.dictionaries(st.sampled_from(["a", "x-oss-a", "Host", "b-c"]), texts(6)),
            _JSON_JUNK,
        ),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=3)):
        doc[name] = draw(optional[name])
    return B64 + json.dumps(doc)


def callback_carriers() -> st.SearchStrategy[str]:
    """``x-oss-callback`` / ``callback`` values: Base64 JSON, Base64 junk, plain junk."""
    return st.one_of(
        callback_params(),
        callback_params(),
        callback_params(),
        st.sampled_from([B64 + "[]", B64 + "null", B64 + "{", B64 + '"\\ud800"', "!!!", "e30"]),
        st.binary(max_size=24).map(lambda raw: base64.b64encode(raw).decode()),
        texts(12),
    )


def callback_var_carriers() -> st.SearchStrategy[str]:
    return st.one_of(
        custom_vars(max_size=3).map(lambda v: B64 + json.dumps(v)),
        st.sampled_from([B64 + '{"y": "no x prefix"}', B64 + '{"x:n": 1}', B64 + "[1]", "%%"]),
        texts(8),
    )


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


# Query parameters: name -> values (decoded; ``render`` percent-encodes them).
PARAMS: dict[str, st.SearchStrategy[str]] = {
    "uploadId": st.sampled_from([UPLOAD_ID] * 6 + ["", "garbage", "0" * 32]),
    "partNumber": st.sampled_from(NUMBERS),
    "position": st.sampled_from(NUMBERS),
    "max-keys": st.sampled_from(NUMBERS),
    "max-parts": st.sampled_from(NUMBERS),
    "max-uploads": st.sampled_from(NUMBERS),
    "part-number-marker": st.sampled_from(NUMBERS),
    "list-type": st.sampled_from(["2", "1", "", "x"]),
    "prefix": texts(8),
    "marker": texts(8),
    "delimiter": st.sampled_from(["/", "", "中", "//"]),
    "start-after": texts(8),
    "key-marker": texts(8),
    "upload-id-marker": texts(8),
    "continuation-token": st.one_of(
        st.sampled_from(["", "!!!", "中", "AA", "_-_-", "////"]), texts(6).map(_token)
    ),
    "encoding-type": st.sampled_from(["url", "", "URL", "base64"]),
    "fetch-owner": st.sampled_from(["true", "false", "maybe"]),
    "callback": callback_carriers(),
    "callback-var": callback_var_carriers(),
    "versionId": st.sampled_from(["", "null", "1"]),
    "security-token": texts(6),
    "OSSAccessKeyId": st.sampled_from(["LTAI5tEmulatorAccessKey", "", "nobody"]),
    "Expires": st.sampled_from(NUMBERS + ["4102444800"]),
    "Signature": st.sampled_from(["", "abc", "AAAA"]),
    "x-oss-signature-version": st.sampled_from(["OSS4-HMAC-SHA256", "OSS2", ""]),
    "x-oss-credential": st.sampled_from(["", "a/b/c/d/e", "LTAI5tEmulatorAccessKey/x/y/oss/z"]),
    "x-oss-date": st.sampled_from(["", "20240101T000000Z", "2024"]),
    "x-oss-expires": st.sampled_from(NUMBERS),
    "x-oss-signature": st.sampled_from(["", "00"]),
    "x-oss-process": st.sampled_from(["image/resize,w_10", ""]),
    "lifecycle": st.just(""),
    "junk": texts(4),
    **{name: texts(12) for name in sorted(MODIFIERS) if name.startswith("response-")},
    "response-content-disposition": st.one_of(
        st.sampled_from(['attachment; filename="中文.txt"', "a\nb", "a\r\nSet-Cookie: x=1"]),
        texts(12),
    ),
}
# Selectors: the value that usually goes with each.
SELECTOR_VALUES: dict[str, st.SearchStrategy[str]] = {
    "uploadId": PARAMS["uploadId"],
    "list-type": st.sampled_from(["2", "2", "1", ""]),
}
RAW_VALUES = ["%ZZ", "%C3%28", "%", "%00", "a+b", "%E4%B8%AD", "&&", "=="]


@st.composite
def query_param(draw: st.DrawFn, name: str | None = None) -> tuple[str, str | None, bool]:
    if name is None:
        name = draw(st.sampled_from(sorted(PARAMS)))
    style = draw(st.sampled_from(["value"] * 6 + ["bare", "raw"]))
    if style == "bare":
        return (name, None, False)
    if style == "raw":
        return (name, draw(st.sampled_from(RAW_VALUES)), True)
    if draw(st.integers(0, 9)) == 0:  # anything a query can carry, control characters too
        return (name, draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=8)), False)
    return (name, draw(PARAMS.get(name, texts(8))), False)


@st.composite
def selector_param(draw: st.DrawFn, selector: str) -> tuple[str, str | None, bool]:
    if selector in SELECTOR_VALUES:
        return (selector, draw(SELECTOR_VALUES[selector]), False)
    return (selector, draw(st.sampled_from([None, None, "", "x"])), False)


COPY_SOURCES = [
    f"/{BUCKET}/src",
    f"/{BUCKET}/src",
    f"/{BUCKET}/missing",
    f"/{MISSING}/src",
    "/Bad_Bucket/src",
    f"/{BUCKET}/",
    "/",
    "",
    "src",
    f"{BUCKET}/src",
    f"/{BUCKET}/src?versionId=1",
    f"/{BUCKET}/%ZZ",
    f"/{BUCKET}/%C3%28",
    f"/{BUCKET}/%E4%B8%AD",
    f"/{BUCKET}//lead",
    f"/{BUCKET}/a%00b",
    f"/{BUCKET}/" + "k" * 1100,
]
HEADERS: dict[str, st.SearchStrategy[str]] = {
    "Content-Type": st.one_of(
        st.sampled_from(
            ["text/plain", "application/xml", "image/png", "multipart/form-data", "中/文", ""]
        ),
        texts(10),
    ),
    "Content-MD5": st.sampled_from(
        [
            BODY_MD5,
            BODY_MD5,
            "abc",
            "",
            base64.b64encode(b"x" * 15).decode(),
            "1B2M2Y8AsgTpgAmY7PhCfg==",
        ]
    ),
    "Range": st.sampled_from(
        [
            "bytes=0-0",
            "bytes=2-4",
            "bytes=2-1",
            "bytes=-5",
            "bytes=5-",
            "bytes=-0",
            "bytes=0-99999999999999999999999",
            "bytes=a-b",
            "bytes=1-2,3-4",
            "items=0-1",
            "bytes=",
            "bytes=-",
            "bytes=\u00b2-3",
        ]
    ),
    "x-oss-range-behavior": st.sampled_from(["standard", "STANDARD", "x"]),
    "x-oss-copy-source": st.sampled_from(COPY_SOURCES),
    "x-oss-copy-source-if-match": st.sampled_from(ETAGS),
    "x-oss-copy-source-if-none-match": st.sampled_from(ETAGS),
    "x-oss-copy-source-if-modified-since": st.sampled_from(DATES),
    "x-oss-copy-source-if-unmodified-since": st.sampled_from(DATES),
    "x-oss-metadata-directive": st.sampled_from(["COPY", "REPLACE", "replace", "MOVE"]),
    "x-oss-callback": callback_carriers(),
    "x-oss-callback-var": callback_var_carriers(),
    "x-oss-meta-author": texts(12),
    "x-oss-meta-empty": st.just(""),
    "x-oss-object-acl": st.sampled_from(["private", "public-read", "default", "junk"]),
    "x-oss-storage-class": st.sampled_from(["Standard", "IA", "Archive", "junk", ""]),
    "x-oss-forbid-overwrite": st.sampled_from(["true", "false", "TRUE", "junk"]),
    "x-oss-complete-all": st.sampled_from(["yes", "no", ""]),
    "If-Match": st.sampled_from(ETAGS),
    "If-None-Match": st.sampled_from(ETAGS),
    "If-Modified-Since": st.sampled_from(DATES),
    "If-Unmodified-Since": st.sampled_from(DATES),
    "Cache-Control": texts(12),
    "Content-Disposition": st.one_of(st.just('attachment; filename="中文.txt"'), texts(12)),
    "Content-Encoding": st.sampled_from(["gzip", "identity", "中"]),
    "Expires": st.sampled_from(DATES),
    "Origin": st.sampled_from([ORIGIN, "null", "*", "http://中.example"]),
    "Access-Control-Request-Method": st.sampled_from(["GET", "PUT", "PATCH", ""]),
    "Access-Control-Request-Headers": st.sampled_from(["x-oss-meta-a, content-type", "", "中"]),
    "x-oss-security-token": texts(8),
    "x-oss-date": st.sampled_from(DATES + ["20240101T000000Z"]),
    "Date": st.sampled_from(DATES),
    "x-oss-content-sha256": st.sampled_from(["UNSIGNED-PAYLOAD", "abc"]),
    "Expect": st.just("100-continue"),
}
BAD_AUTHORIZATIONS = [
    "none",
    "none",
    "wrong-secret",
    "wrong-ak",
    "OSS ",
    "OSS :",
    "OSS LTAI5tEmulatorAccessKey:",
    "OSS a:b:c",
    "OSS4-HMAC-SHA256 Credential=x",
    "OSS4-HMAC-SHA256 Credential=LTAI5tEmulatorAccessKey/20240101/cn-hangzhou/oss/"
    "aliyun_v4_request,AdditionalHeaders=host,Signature=abc",
    "OSS4-HMAC-SHA256 ,,,=",
    "OSS2 x",
    "AWS a:b",
    "Bearer 中",
]
AUTH = st.sampled_from(["v1"] * 4 * len(BAD_AUTHORIZATIONS) + BAD_AUTHORIZATIONS)

# --- bodies -----------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return escape(value)


@st.composite
def complete_bodies(draw: st.DrawFn) -> bytes:
    numbers = st.sampled_from(["1", "1", "2", "0", "-1", "10001", "99999999999", "abc", "", " 1 "])
    etags = st.sampled_from(
        [f'"{PART_ETAG}"', PART_ETAG, f"&quot;{PART_ETAG}&quot;", '"garbage"', "", None]
    )
    parts = draw(st.lists(st.tuples(numbers, etags), max_size=4))
    if draw(st.booleans()):  # the one uploaded part: the upload completes
        parts = [("1", f'"{PART_ETAG}"')]
    body = "".join(
        "<Part>"
        + f"<PartNumber>{number}</PartNumber>"
        + ("" if etag is None else f"<ETag>{etag}</ETag>")
        + "</Part>"
        for number, etag in parts
    )
    return f"<CompleteMultipartUpload>{body}</CompleteMultipartUpload>".encode()


@st.composite
def delete_bodies(draw: st.DrawFn) -> bytes:
    keys = draw(st.lists(st.one_of(KEYS, st.just("")), max_size=3))
    if draw(st.integers(0, 19)) == 0:
        keys = ["k"] * 1001
    quiet = draw(st.sampled_from([None, "true", "false", "TRUE", "maybe"]))
    objects = "".join(f"<Object><Key>{_xml_text(key)}</Key></Object>" for key in keys)
    head = "" if quiet is None else f"<Quiet>{quiet}</Quiet>"
    return f"<Delete>{head}{objects}</Delete>".encode()


@st.composite
def cors_bodies(draw: st.DrawFn) -> bytes:
    def some(tag: str, values: list[str]) -> str:
        chosen = draw(st.lists(st.sampled_from(values), max_size=2))
        return "".join(f"<{tag}>{_xml_text(value)}</{tag}>" for value in chosen)

    rules = []
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 11]))):
        rules.append(
            "<CORSRule>"
            + some("AllowedOrigin", ["*", ORIGIN, "http://*.example", "**", "中文", "a\nb", ""])
            + some("AllowedMethod", ["GET", "PUT", "get", "PATCH", "", "中"])
            + some("AllowedHeader", ["*", "x-oss-meta-*", "**", "中", "a b", "a\nb"])
            + some("ExposeHeader", ["ETag", "x-oss-request-id", "*", "中", "a\nb", "a\tb"])
            + some("MaxAgeSeconds", ["100", "-1", "abc", "99999999999", ""])
            + "</CORSRule>"
        )
    vary = draw(
        st.sampled_from(["", "<ResponseVary>true</ResponseVary>", "<ResponseVary>x</ResponseVary>"])
    )
    return f"<CORSConfiguration>{''.join(rules)}{vary}</CORSConfiguration>".encode()


CREATE_BUCKET_BODIES = st.sampled_from(
    [
        b"",
        b"<CreateBucketConfiguration><StorageClass>IA</StorageClass></CreateBucketConfiguration>",
        b"<CreateBucketConfiguration><StorageClass>x</StorageClass></CreateBucketConfiguration>",
        b"<CreateBucketConfiguration/>",
    ]
)
BAD_XML = st.sampled_from(
    [
        b"<not-closed",
        b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'b'>]><Delete>&a;</Delete>",
        b"<Delete xmlns='urn:x'><Object><Key>k</Key></Object></Delete>",
        "<Delete><Object><Key>k</Key></Object></Delete>".encode("utf-16"),
        b"<?xml version='1.0' encoding='klingon'?><Delete/>",
        b"<a>" * 2000,
        b"\xff\xfe\x00",
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>",
        b"<Wrong/>",
    ]
)
FORM_FIELDS: dict[str, st.SearchStrategy[str]] = {
    "success_action_status": st.sampled_from(["200", "201", "204", "303", "999", "", "abc"]),
    "success_action_redirect": st.one_of(
        st.sampled_from(["http://127.0.0.1:1/done", "http://x/?a=1", "中文", "a\r\nb", ""]),
        texts(10),
    ),
    "x-oss-meta-a": st.one_of(st.sampled_from(["中文", "a\r\nb", "a\x00b", ""]), texts(10)),
    "X-Oss-Meta-Upper": texts(6),
    "x-oss-meta-中": texts(4),
    "x-oss-meta-a b": texts(4),
    "x-oss-meta-": texts(4),
    "Content-Disposition": st.one_of(st.sampled_from(['inline; filename="é"', "a\nb"]), texts(10)),
    "Cache-Control": texts(10),
    "Content-Type": st.sampled_from(["text/plain", "中", "a\nb", ""]),
    "x-oss-content-type": st.sampled_from(["image/png", "中", "a\r\nb"]),
    "x-oss-storage-class": st.sampled_from(["IA", "junk"]),
    "x-oss-forbid-overwrite": st.sampled_from(["true", "false"]),
    "callback": callback_carriers(),
    "callback-var": callback_var_carriers(),
    "x:v": texts(8),
    "X:Upper": texts(8),
    "x-oss-security-token": texts(6),
    "policy": st.sampled_from(["", "!!!", B64 + "{}"]),
    "Signature": st.sampled_from(["", "AAAA"]),
    "OSSAccessKeyId": st.sampled_from(["", "nobody"]),
    "x-oss-signature-version": st.sampled_from(["OSS4-HMAC-SHA256", "x"]),
}
CONDITIONS = st.sampled_from(
    [["content-length-range", 0, 10485760]] * 8
    + [
        ["content-length-range", 5, 1],
        ["content-length-range", "a", "b"],
        ["starts-with", "$key", ""],
        ["starts-with", "$key", "user-dir/"],
        ["eq", "$bucket", BUCKET],
        ["eq", "$x-oss-meta-a", "v"],
        ["in", "$content-type", ["image/png"]],
        {"bucket": BUCKET},
        ["unknown-op", "$key", "x"],
        [],
        "junk",
    ]
)


_LATER = '"2999-12-31T23:59:59.000Z"'
POLICIES = st.sampled_from(
    [
        f'{{"expiration": {_LATER}, "conditions": {conditions}}}'
        for conditions in (
            '[["content-length-range", 0, 1e400]]',
            '[["content-length-range", -1, 1e30]]',
            '[{"key": "k"}]',
            '[["eq", "$key"]]',
            '[["starts-with", 1, 2]]',
            '[["in", "$key", "x"]]',
            '[["not-in", "$key", []]]',
            '[null, 1, "x", [[[]]]]',
            "{}",
        )
    ]
    + [
        '{"expiration": "9999-99-99T99:99:99.000Z", "conditions": []}',
        '{"expiration": "2999-12-31T23:59:59.999999999999Z", "conditions": []}',
        '{"expiration": 1, "conditions": []}',
        '{"conditions": []}',
        "[]",
        '"x"',
        "{",
    ]
)


@st.composite
def forms(draw: st.DrawFn) -> Form:
    fields: list[tuple[str, str]] = []
    if draw(st.integers(0, 9)):
        key = draw(
            st.one_of(KEYS, st.sampled_from(["${filename}", "up/${filename}", "", "a\nb", "/lead"]))
        )
        fields.append((draw(st.sampled_from(["key", "key", "Key"])), key))
    for name in draw(st.lists(st.sampled_from(sorted(FORM_FIELDS)), unique=True, max_size=4)):
        fields.append((name, draw(FORM_FIELDS[name])))
    file = None
    if draw(st.integers(0, 9)):
        file = (
            draw(
                st.one_of(st.none(), st.sampled_from(["a.png", "中.txt", 'q"uote', ""]), texts(6))
            ),
            draw(st.one_of(st.none(), st.sampled_from(["image/png", "中", ""]))),
            draw(st.one_of(st.binary(max_size=256), st.just(PNG))),
        )
    return Form(
        fields=tuple(fields),
        file=file,
        signed=draw(st.sampled_from(["v1"] * 6 + ["wrong", "none"])),
        conditions=tuple(draw(st.lists(CONDITIONS, min_size=1, max_size=2))),
        damage=draw(
            st.sampled_from([""] * 8 + ["truncate", "boundary", "not-multipart", "file-first"])
        ),
        policy=draw(st.one_of(st.none(), st.none(), st.none(), POLICIES)),
    )


RANDOM_BODIES = st.one_of(st.binary(max_size=1024), st.just(PNG), BAD_XML)


def bodies(operation: Operation) -> st.SearchStrategy[bytes | Form]:
    """A body fit for the operation most of the time, anything else sometimes."""
    fitting: dict[Operation, st.SearchStrategy[bytes | Form]] = {
        Operation.COMPLETE_MULTIPART_UPLOAD: complete_bodies(),
        Operation.DELETE_MULTIPLE_OBJECTS: delete_bodies(),
        Operation.PUT_BUCKET_CORS: cors_bodies(),
        Operation.PUT_BUCKET: CREATE_BUCKET_BODIES,
        Operation.POST_OBJECT: forms(),
        Operation.PUT_OBJECT: RANDOM_BODIES,
        Operation.UPLOAD_PART: RANDOM_BODIES,
        Operation.APPEND_OBJECT: RANDOM_BODIES,
    }
    usual = fitting.get(operation, st.just(b""))
    return st.one_of(usual, usual, usual, RANDOM_BODIES, complete_bodies(), forms())


# Headers that make sense per operation, drawn more often than the rest.
LIKELY_HEADERS: dict[Operation, list[str]] = {
    Operation.GET_OBJECT: [
        "Range",
        "x-oss-range-behavior",
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "Origin",
    ],
    Operation.HEAD_OBJECT: ["Range", "If-Match", "If-None-Match", "If-Modified-Since"],
    Operation.PUT_OBJECT: [
        "x-oss-callback",
        "x-oss-callback-var",
        "Content-MD5",
        "x-oss-meta-author",
        "Content-Type",
        "x-oss-forbid-overwrite",
        "Content-Disposition",
        "x-oss-storage-class",
    ],
    Operation.COPY_OBJECT: [
        "x-oss-copy-source-if-match",
        "x-oss-copy-source-if-none-match",
        "x-oss-copy-source-if-modified-since",
        "x-oss-metadata-directive",
        "x-oss-forbid-overwrite",
        "x-oss-meta-author",
    ],
    Operation.COMPLETE_MULTIPART_UPLOAD: [
        "x-oss-callback",
        "x-oss-callback-var",
        "x-oss-complete-all",
        "x-oss-forbid-overwrite",
    ],
    Operation.APPEND_OBJECT: ["Content-MD5", "Content-Type", "x-oss-meta-author"],
    Operation.UPLOAD_PART: ["Content-MD5"],
    Operation.DELETE_MULTIPLE_OBJECTS: ["Content-MD5"],
    Operation.PUT_BUCKET_CORS: ["Origin"],
}
LIKELY_PARAMS: dict[Operation, list[str]] = {
    Operation.APPEND_OBJECT: ["position"],
    Operation.UPLOAD_PART: ["partNumber"],
    Operation.GET_OBJECT: ["response-content-type", "response-content-disposition"],
    Operation.LIST_OBJECTS: ["prefix", "marker", "max-keys", "delimiter", "encoding-type"],
    Operation.LIST_OBJECTS_V2: ["continuation-token", "start-after", "max-keys", "fetch-owner"],
    Operation.LIST_PARTS: ["max-parts", "part-number-marker", "encoding-type"],
    Operation.LIST_MULTIPART_UPLOADS: ["max-uploads", "key-marker", "upload-id-marker"],
}


#: The entries of the routing table, by the area each test covers.
ENTRIES = sorted(OPERATIONS.items(), key=lambda item: item[1].value)
OBJECT_OPERATIONS = {
    Operation.PUT_OBJECT,
    Operation.COPY_OBJECT,
    Operation.GET_OBJECT,
    Operation.HEAD_OBJECT,
    Operation.GET_OBJECT_META,
    Operation.DELETE_OBJECT,
    Operation.APPEND_OBJECT,
}
MULTIPART_OPERATIONS = {
    Operation.INITIATE_MULTIPART_UPLOAD,
    Operation.UPLOAD_PART,
    Operation.COMPLETE_MULTIPART_UPLOAD,
    Operation.ABORT_MULTIPART_UPLOAD,
    Operation.LIST_PARTS,
    Operation.LIST_MULTIPART_UPLOADS,
}


def entries(
    operations: set[Operation] | None = None,
) -> list[tuple[tuple[str, str, Any], Operation]]:
    """The table's entries for ``operations`` (None: all of them)."""
    return [entry for entry in ENTRIES if operations is None or entry[1] in operations]


@st.composite
def specs(draw: st.DrawFn, table: list[tuple[tuple[str, str, Any], Operation]]) -> Spec:
    """One request, built around an entry of ``table`` (part of ``OPERATIONS``)."""
    (method, target, selector), operation = draw(st.sampled_from(table))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(METHODS))
    bucket = None if target == "service" else draw(BUCKETS)
    key = draw(KEYS) if target == "object" else None
    query: list[tuple[str, str | None, bool]] = []
    headers: list[tuple[str, str]] = []
    if selector == COPY:
        headers.append(("x-oss-copy-source", draw(HEADERS["x-oss-copy-source"])))
    elif selector is not None:
        query.append(draw(selector_param(selector)))
    for name in draw(
        st.lists(st.sampled_from(LIKELY_PARAMS.get(operation, ["junk"])), max_size=3, unique=True)
    ):
        query.append(draw(query_param(name)))
    query.extend(draw(st.lists(query_param(), max_size=2)))
    if operation in CALLBACK_OPERATIONS and draw(st.integers(0, 2)) == 0:
        headers.append(("x-oss-callback", draw(callback_params())))
    likely = LIKELY_HEADERS.get(operation, ["Origin"])
    names = draw(st.lists(st.sampled_from(likely), max_size=3, unique=True))
    names += draw(st.lists(st.sampled_from(sorted(HEADERS)), max_size=2, unique=True))
    headers.extend((name, draw(HEADERS[name])) for name in dict.fromkeys(names))
    return Spec(
        method=method,
        bucket=bucket,
        key=key,
        query=tuple(draw(st.permutations(query))),
        headers=tuple(headers),
        body=draw(bodies(operation)),
        auth=draw(AUTH),
        framing=draw(st.sampled_from(["length"] * 8 + ["chunked", "short", "long", "huge"])),
        host=draw(st.sampled_from(["path"] * 6 + ["vhost", "aliyuncs", "localhost", "ipv6"])),
        path_tail=draw(st.sampled_from([""] * 12 + ["%ZZ", "%C3%28", "%", "%00", "%2F..", "/"])),
        slash_safe=draw(st.booleans()),
        precreate=draw(st.sampled_from([None, "normal", "normal", "appendable"])),
    )


# --- the wire ---------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Run:
    """What exists at run time: the server, the receiver, the live upload."""

    server: EmulatorServer
    receiver_url: str
    upload_id: str = "0" * 32
    part_etag: str = "0" * 32
    log: list[logging.LogRecord] = field(default_factory=list)

    def fill(self, text: str) -> str:
        text = (
            text.replace(UPLOAD_ID, self.upload_id)
            .replace(PART_ETAG, self.part_etag)
            .replace(RECEIVER, self.receiver_url)
        )
        if text.startswith(B64):
            return base64.b64encode(text[len(B64) :].encode()).decode()
        return text


def exchange(
    port: int,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    framing: str = "length",
) -> Answer | None:
    """Send one request on a fresh connection; its answer, or None when there was none."""
    lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    payload = body
    if framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        half = len(body) // 2
        payload = b"".join(
            b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in (body[:half], body[half:]) if chunk
        )
        payload += b"0\r\n\r\n"
    else:
        declared = {
            "length": len(body),
            "short": max(len(body) - 3, 0),
            "long": len(body) + 7,
            "huge": 6 * 1024**3,
        }
        lines.append(f"Content-Length: {declared[framing]}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(head + payload)
            if framing in ("long", "huge"):
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # answered and closed before reading everything: read the answer
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            data = response.read()
        except (http.client.HTTPException, OSError):
            return None
        return Answer(response.status, response.headers, data)


def wire(value: str) -> str:
    """A header value as it travels: UTF-8 bytes, read back as latin-1 (as servers do)."""
    return value.encode("utf-8").decode("latin-1")


def readings_of(
    method: str, host: str, path: str, query: str, headers: Sequence[tuple[str, str]]
) -> list[Resolved]:
    """How the emulator reads the request (rest-api.md §1.3); empty when it cannot."""
    try:
        return resolve(
            method,
            host,
            path,
            parse_query(query),
            has_copy_source=any(name.lower() == "x-oss-copy-source" for name, _ in headers),
        )
    except OSSError:
        return []


def signed(
    run: Run,
    method: str,
    host: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    auth: str = "v1",
) -> list[tuple[str, str]]:
    """``headers`` with Date and an Authorization the way ``auth`` says (rest-api.md §4.1)."""
    if not any(name.lower() in ("date", "x-oss-date") for name, _ in headers):
        headers = [*headers, ("Date", http_date(time.time()))]
    if auth == "none":
        return headers
    if auth not in ("v1", "wrong-secret", "wrong-ak"):
        return [*headers, ("Authorization", wire(auth))]
    readings = readings_of(method, host, path, query, headers)
    reading = Reading(readings[0].bucket, readings[0].key) if readings else Reading(None, None)
    request = SignedRequest.build(method, path, query, [("Host", host), *headers])
    secret = run.server.access_key_secret + ("x" if auth == "wrong-secret" else "")
    access_key_id = "LTAInobody" if auth == "wrong-ak" else run.server.access_key_id
    signature = v1.sign(secret, v1.string_to_sign(request, reading))
    return [*headers, ("Authorization", f"OSS {access_key_id}:{signature}")]


def call(
    run: Run,
    method: str,
    path: str,
    query: str = "",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> Answer | None:
    """A signed path-style request: setup, checks and follow-ups."""
    host = f"127.0.0.1:{run.server.port}"
    sent = signed(run, method, host, path, query, [("Host", host), *headers])
    target = path + (f"?{query}" if query else "")
    return exchange(run.server.port, method, target, sent, body)


def object_path(bucket: str, key: str) -> str:
    return f"/{bucket}/{quote(key, safe='/')}"


def form_body(run: Run, form: Form) -> tuple[bytes, str]:
    """The multipart body of a form and its Content-Type header."""
    boundary = "robust-boundary-7"
    fields = list(form.fields)
    if form.signed != "none":
        signature = sign_form_v1(
            run.server.access_key_id,
            run.server.access_key_secret,
            expiration=time.time() + 3600,
            conditions=list(form.conditions),
        )
        if form.policy is not None:
            policy = base64.b64encode(form.policy.encode()).decode()
            signature["policy"] = policy
            signature["Signature"] = signature_v1(run.server.access_key_secret, policy)
        if form.signed == "wrong":
            signature["Signature"] = "AAAA" + signature["Signature"][4:]
        fields = [*signature.items(), *fields]
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + run.fill(value).encode()
        + b"\r\n"
        for name, value in fields
    ]
    if form.file is not None:
        filename, content_type, data = form.file
        disposition = 'form-data; name="file"' + (
            "" if filename is None else f'; filename="{filename}"'
        )
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        file_part = head.encode() + b"\r\n" + data + b"\r\n"
        parts.insert(0 if form.damage == "file-first" else len(parts), file_part)
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    if form.damage == "truncate":
        body = body[: len(body) * 2 // 3]
    elif form.damage == "boundary":
        content_type = "multipart/form-data; boundary=other"
    elif form.damage == "not-multipart":
        content_type = "text/plain"
    return body, content_type


def form_key(form: Form) -> str | None:
    """The key a PostObject form names, after ``${filename}`` (rest-api.md §8.1)."""
    for name, value in form.fields:
        if name.lower() == "key":
            return expand_key(value, form.file[0] if form.file else None)
    return None


# --- checks -----------------------------------------------------------------------------


def check_answer(answer: Answer | None, method: str, what: str) -> Answer:
    """The rules every answer follows (rest-api.md §10, decisions R6)."""
    assert answer is not None, f"no answer to {what}"
    assert answer.status != 500, f"500 for {what}: {answer.body[:500]!r}"
    assert answer.status < 500 or answer.status in (501, 503), f"{answer.status} for {what}"
    if answer.status < 400:
        return answer
    if method == "HEAD":
        assert answer.body == b"", what
        assert "x-oss-err" in answer.headers, f"{answer.status} without x-oss-err for {what}"
        document = base64.b64decode(answer.headers["x-oss-err"])
    else:
        content_type = answer.headers.get("content-type", "")
        assert content_type.startswith("application/xml"), (
            f"{answer.status} {content_type} {answer.body[:200]!r} for {what}"
        )
        document = answer.body
    root = ET.fromstring(document)
    assert root.tag == "Error", what
    assert root.findtext("Code"), what
    assert root.findtext("RequestId") == answer.headers["x-oss-request-id"], what
    assert root.find("HostId") is not None, what
    return answer


def head_status(run: Run, bucket: str, key: str) -> int:
    answer = check_answer(call(run, "HEAD", object_path(bucket, key)), "HEAD", "HEAD check")
    return answer.status


def read_back(run: Run, bucket: str, key: str) -> None:
    """An object a successful upload stored can be read, with and without CORS headers."""
    path = object_path(bucket, key)
    for method in ("GET", "HEAD"):
        answer = check_answer(call(run, method, path, headers=[("Origin", ORIGIN)]), method, path)
        assert answer.status == 200, f"{method} {path} after a successful upload"
        if method == "GET":
            assert len(answer.body) == int(answer.headers["content-length"])


def prepare(run: Run, spec: Spec) -> None:
    """Objects and the multipart upload the request refers to."""
    copy_source = dict(spec.headers).get("x-oss-copy-source", "")
    if "/src" in copy_source:
        call(run, "PUT", f"/{BUCKET}/src", body=b"source bytes")
    if spec.bucket != BUCKET or spec.key is None:
        return
    path = object_path(BUCKET, spec.key)
    if spec.precreate == "normal":
        meta = [("x-oss-meta-author", wire("中文")), ("Content-Disposition", wire("inline; é"))]
        call(run, "PUT", path, headers=meta, body=b"0123456789")
    elif spec.precreate == "appendable":
        call(run, "POST", path, "append&position=0", body=b"0123456789")
    if UPLOAD_ID in repr(spec):
        answer = call(run, "POST", path, "uploads")
        if answer is not None and answer.status == 200:
            run.upload_id = ET.fromstring(answer.body).findtext("UploadId") or run.upload_id
            part = call(run, "PUT", path, f"partNumber=1&uploadId={run.upload_id}", body=b"part-1")
            if part is not None and part.status == 200:
                run.part_etag = part.headers["etag"].strip('"')


def render(run: Run, spec: Spec) -> tuple[str, str, str, list[tuple[str, str]], bytes]:
    """Host, path, query, headers (without framing) and body of a spec, signed."""
    port = run.server.port
    encoded_key = "" if spec.key is None else quote(spec.key, safe="/" if spec.slash_safe else "")
    bases = {"vhost": f"localhost:{port}", "aliyuncs": "oss-cn-hangzhou.aliyuncs.com"}
    if spec.host in bases and spec.bucket is not None and BUCKET_NAME.match(spec.bucket):
        host = f"{spec.bucket}.{bases[spec.host]}"
        path = "/" + encoded_key
    else:
        host = {"localhost": f"localhost:{port}", "ipv6": f"[::1]:{port}"}.get(
            spec.host, f"127.0.0.1:{port}"
        )
        path = "/" if spec.bucket is None else f"/{quote(spec.bucket)}/{encoded_key}"
    path += spec.path_tail
    query = "&".join(
        name if value is None else f"{name}={value if raw else quote(run.fill(value), safe='')}"
        for name, value, raw in spec.query
    )
    if isinstance(spec.body, Form):
        body, form_type = form_body(run, spec.body)
        headers = [("Content-Type", form_type)]
    else:
        body = run.fill(spec.body.decode("latin-1")).encode("latin-1")
        headers = []
    for name, value in spec.headers:
        if value == BODY_MD5:
            value = base64.b64encode(hashlib.md5(body).digest()).decode()
        headers.append((name, wire(run.fill(value))))
    return host, path, query, signed(run, spec.method, host, path, query, headers, spec.auth), body


def check_request(run: Run, spec: Spec) -> None:
    """Send one spec and check its answer and what it left behind."""
    prepare(run, spec)
    host, path, query, headers, body = render(run, spec)
    readings = readings_of(spec.method, host, path, query, headers)
    upload: tuple[str, str] | None = None
    if readings and readings[0].operation in UPLOADS and readings[0].bucket is not None:
        key = readings[0].key
        if readings[0].operation is Operation.POST_OBJECT:
            key = form_key(spec.body) if isinstance(spec.body, Form) else None
        if key:
            upload = (readings[0].bucket, key)
    existed = upload is not None and head_status(run, *upload) == 200
    target = path + (f"?{query}" if query else "")
    what = f"{spec.method} {target}"
    answer = exchange(
        run.server.port, spec.method, target, [("Host", host), *headers], body, spec.framing
    )
    if answer is not None or spec.framing not in ("long", "huge"):  # half-closed: may get none
        answer = check_answer(answer, spec.method, what)
    failed = answer is None or answer.status >= 400
    if upload is not None and failed and not existed:
        assert head_status(run, *upload) == 404, f"{what} failed but stored {upload}"
    if upload is not None and not failed:
        read_back(run, *upload)
    if answer is not None and answer.status < 300 and readings:
        if readings[0].operation is Operation.PUT_BUCKET_CORS:
            bucket_path = f"/{readings[0].bucket}/"
            check_answer(call(run, "GET", bucket_path, headers=[("Origin", ORIGIN)]), "GET", what)
            preflight = [("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")]
            check_answer(call(run, "OPTIONS", bucket_path, headers=preflight), "OPTIONS", what)
    assert not run.log, f"the server logged an exception for {what}: {run.log[0].getMessage()}"


# --- fixtures and tests -----------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(name="run", scope="module")
def _run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    settings = Settings(
        port=0, data_dir=tmp_path_factory.mktemp("robust"), buckets=(BUCKET,), seed=11
    )
    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    logger = logging.getLogger("uvicorn.error")
    with EmulatorServer(settings) as server, CallbackReceiver() as receiver:
        logger.addHandler(handler)
        try:
            yield Run(server, receiver.url(), log=records)
        finally:
            logger.removeHandler(handler)
    assert not records, records[0].getMessage()


def health(run: Run) -> None:
    port = run.server.port
    answer = exchange(port, "GET", "/_emulator/health", [("Host", f"127.0.0.1:{port}")], b"")
    assert answer is not None and answer.status == 200


@st.composite
def scenarios(draw: st.DrawFn, operations: set[Operation] | None = None) -> list[Spec]:
    """A few requests in a row; often on one bucket and key, so that they meet state."""
    steps = draw(st.lists(specs(entries(operations)), min_size=1, max_size=4))
    if draw(st.booleans()):
        first = steps[0]
        steps = [first] + [
            dataclasses.replace(step, bucket=first.bucket, key=first.key or step.key)
            if step.bucket is not None
            else step
            for step in steps[1:]
        ]
    return steps


def run_scenario(run: Run, steps: list[Spec]) -> None:
    """From an empty emulator, each request in turn; the emulator is healthy afterwards."""
    run.log.clear()
    run.server.reset()
    run.upload_id = run.part_etag = "0" * 32
    try:
        for spec in steps:
            check_request(run, spec)
    finally:
        health(run)


class TestNoServerErrors:
    """Whatever arrives, the answer is an OSS answer and the emulator stays up.

    One test per area, each with the profile's number of examples, and one over the whole
    table, whose requests meet each other's state.
    """

    @given(steps=scenarios(OBJECT_OPERATIONS))
    def test_object_requests(self, run: Run, steps: list[Spec]) -> None:
        """Object requests never get a 500, a crash or a half-stored object."""
        run_scenario(run, steps)

    @given(steps=scenarios(MULTIPART_OPERATIONS))
    def test_multipart_requests(self, run: Run, steps: list[Spec]) -> None:
        """Multipart requests never get a 500, a crash or a half-stored object."""
        run_scenario(run, steps)

    @given(steps=scenarios({Operation.POST_OBJECT}))
    def test_post_object_requests(self, run: Run, steps: list[Spec]) -> None:
        """Form uploads never get a 500, a crash or a half-stored object."""
        run_scenario(run, steps)

    @given(
        steps=scenarios(
            {op for op in Operation}
            - OBJECT_OPERATIONS
            - MULTIPART_OPERATIONS
            - {Operation.POST_OBJECT}
        )
    )
    def test_bucket_and_service_requests(self, run: Run, steps: list[Spec]) -> None:
        """Bucket and service requests never get a 500 or a crash."""
        run_scenario(run, steps)

    @given(steps=scenarios())
    def test_any_requests(self, run: Run, steps: list[Spec]) -> None:
        """Requests of every kind in a row never get a 500, a crash or a half-stored object."""
        run_scenario(run, steps)


def error_code(answer: Answer | None) -> str:
    answer = check_answer(answer, "GET", "regression")
    return ET.fromstring(answer.body).findtext("Code") or ""


def post_form(run: Run, form: Form) -> Answer:
    spec = Spec(method="POST", bucket=BUCKET, key=None, body=form)
    host, path, _, headers, body = render(run, spec)
    answer = exchange(run.server.port, "POST", path, [("Host", host), *headers], body)
    return check_answer(answer, "POST", "PostObject")


ANY_SIZE = (["content-length-range", 0, 1024],)


class TestRegressions:
    """Requests the property tests found answered with a 500 or not at all, now OSS errors."""

    @pytest.fixture(autouse=True)
    def _empty(self, run: Run) -> None:
        run.server.reset()

    def test_key_with_line_break(self, run: Run) -> None:
        """A key holding LF (legal) reached a plain-text 404 of the router, not the handlers."""
        path = object_path(BUCKET, "line\nbreak")
        assert check_answer(call(run, "PUT", path, body=b"v"), "PUT", path).status == 200
        assert check_answer(call(run, "GET", path), "GET", path).body == b"v"
        assert check_answer(call(run, "HEAD", path), "HEAD", path).status == 200
        assert check_answer(call(run, "DELETE", path), "DELETE", path).status == 204
        assert error_code(call(run, "GET", path)) == "NoSuchKey"

    def test_unknown_method(self, run: Run) -> None:
        """A method the emulator lacks got the router's plain-text 405."""
        answer = call(run, "PROPFIND", f"/{BUCKET}/k")
        assert check_answer(answer, "PROPFIND", "PROPFIND").status == 501
        assert error_code(answer) == "NotImplemented"

    @pytest.mark.parametrize(
        ("path", "query"),
        [
            (f"/{BUCKET}/", "max-keys=%C2%B2"),  # "²".isdigit() is true, int("²") fails
            (f"/{BUCKET}/", "list-type=2&max-keys=%C2%B2"),
            (f"/{BUCKET}/", "uploads&max-uploads=%C2%B2"),
            (f"/{BUCKET}/k", "append&position=%C2%B2"),
        ],
    )
    def test_superscript_digits(self, run: Run, path: str, query: str) -> None:
        """Numbers in Unicode digits other than ASCII were a 500 (ValueError)."""
        method = "POST" if "append" in query else "GET"
        assert error_code(call(run, method, path, query, body=b"v")) == "InvalidArgument"
        assert head_status(run, BUCKET, "k") == 404

    @pytest.mark.parametrize(
        "query",
        [
            "partNumber=%C2%B2",  # ValueError
            "part-number-marker=%C2%B2",  # ValueError
            "part-number-marker=99999999999999999999999",  # too large for SQLite
        ],
    )
    def test_multipart_numbers(self, run: Run, query: str) -> None:
        """UploadPart and ListParts numbers that int() or SQLite refuse were a 500."""
        initiated = check_answer(call(run, "POST", f"/{BUCKET}/mp", "uploads"), "POST", "init")
        upload_id = ET.fromstring(initiated.body).findtext("UploadId")
        method = "PUT" if "partNumber" in query else "GET"
        answer = call(run, method, f"/{BUCKET}/mp", f"uploadId={upload_id}&{query}", body=b"p")
        assert error_code(answer) == "InvalidArgument"

    def test_response_override_utf8(self, run: Run) -> None:
        """A response-* value outside Latin-1 was a 500; it is sent as UTF-8."""
        call(run, "PUT", f"/{BUCKET}/k", body=b"v")
        disposition = 'attachment; filename="中文.txt"'
        query = "response-content-disposition=" + quote(disposition, safe="")
        answer = check_answer(call(run, "GET", f"/{BUCKET}/k", query), "GET", query)
        assert answer.status == 200
        sent = answer.headers["content-disposition"].encode("latin-1").decode("utf-8")
        assert sent == disposition

    @pytest.mark.parametrize("value", ["a%0D%0ASet-Cookie:%20x=1", "a%00b", "%20x%09"])
    def test_response_override_not_a_header(self, run: Run, value: str) -> None:
        """A response-* value with CR, LF or NUL dropped the connection; spaces around are
        trimmed (h11 refuses them too)."""
        call(run, "PUT", f"/{BUCKET}/k", body=b"v")
        answer = call(run, "GET", f"/{BUCKET}/k", f"response-cache-control={value}")
        if value.startswith("%20"):
            assert check_answer(answer, "GET", value).headers["cache-control"] == "x"
        else:
            assert error_code(answer) == "InvalidArgument"

    def test_post_object_utf8_file_name(self, run: Run) -> None:
        """A browser's UTF-8 file name in the file part was a 500 (latin-1 encoding)."""
        form = Form((("key", "up/${filename}"),), ("中文.png", "image/png", PNG), "v1", ANY_SIZE)
        assert post_form(run, form).status == 204
        assert head_status(run, BUCKET, "up/中文.png") == 200

    def test_post_object_utf8_headers(self, run: Run) -> None:
        """Metadata and header fields outside Latin-1 were stored, then every read was a 500."""
        fields = (
            ("key", "k"),
            ("x-oss-meta-author", "中文"),
            ("Content-Disposition", 'inline; filename="é.txt"'),
            ("Content-Type", "text/plain; charset=中"),
        )
        assert post_form(run, Form(fields, ("f", None, b"v"), "v1", ANY_SIZE)).status == 204
        answer = check_answer(call(run, "GET", f"/{BUCKET}/k"), "GET", "k")
        assert answer.status == 200
        got = {
            name: value.encode("latin-1").decode("utf-8") for name, value in answer.headers.items()
        }
        assert got["x-oss-meta-author"] == "中文"
        assert got["content-disposition"] == 'inline; filename="é.txt"'
        assert got["content-type"] == "text/plain; charset=中"

    @pytest.mark.parametrize(
        "field", [("x-oss-meta-a", "a\r\nb"), ("Cache-Control", "a\x00b"), ("x-oss-meta-中", "v")]
    )
    def test_post_object_unsendable_headers(self, run: Run, field: tuple[str, str]) -> None:
        """A field that cannot become a header (CR, LF, NUL; a name that is no token) was
        stored and broke every read: now 400, nothing stored."""
        form = Form((("key", "k"), field), ("f", None, b"v"), "v1", ANY_SIZE)
        answer = post_form(run, form)
        assert answer.status == 400
        assert ET.fromstring(answer.body).findtext("Code") == "InvalidArgument"
        assert head_status(run, BUCKET, "k") == 404

    @pytest.mark.parametrize("expose", ["中", "a&#10;b", "a b"])
    def test_cors_expose_header_not_a_name(self, run: Run, expose: str) -> None:
        """An ExposeHeader that is no header name was stored, then every cross-origin request
        to the bucket was a 500 or a dropped connection."""
        body = (
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
            f"<AllowedMethod>GET</AllowedMethod><ExposeHeader>{expose}</ExposeHeader>"
            "</CORSRule></CORSConfiguration>"
        ).encode()
        assert error_code(call(run, "PUT", f"/{BUCKET}/", "cors", body=body)) == "InvalidArgument"
        answer = call(run, "GET", f"/{BUCKET}/", headers=[("Origin", ORIGIN)])
        assert check_answer(answer, "GET", "list").status == 200
