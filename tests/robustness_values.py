"""Hypothesis strategies for the parts of a robustness request other than its body.

Awkward values for the bucket, the key, every query parameter the routing table and the
handlers read (``routing.MODIFIERS``; rest-api.md), the headers and the Authorization, with
callback carriers that point only at loopback. Values may hold the placeholders of
``tests.robustness_wire``, filled in when the request is rendered.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

from emulator.routing import MODIFIERS
from emulator.strategies import any_templates, custom_vars, object_keys, well_formed_templates
from tests.robustness_wire import B64, BODY_MD5, BUCKET, MISSING, ORIGIN, RECEIVER, UPLOAD_ID

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
_JSON_JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), texts(8), st.just([])
)


# --- callbacks --------------------------------------------------------------------------

GOOD_URLS = CALLBACK_URLS[:4]
TEMPLATES = [
    "bucket=${bucket}&object=${object}&size=${size}&v=${x:v}",
    '{"o":${object},"s":${size},"w":${imageInfo.width},"f":"${imageInfo.format}"}',
    "m=${mimeType}&e=${etag}&c=${crc64}&md5=${contentMd5}&ip=${clientIp}&h=${imageInfo.height}",
]


@st.composite
def loopback_callbacks(draw: st.DrawFn) -> str:
    """A callback JSON object pointing only at loopback: mostly valid, else anything.

    Returned as ``B64`` + JSON text. Unlike ``emulator.strategies.callback_params`` (valid
    objects naming any host), the URLs are the receiver's or a closed loopback port.
    """
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


def callback_carrier_texts() -> st.SearchStrategy[str]:
    """``x-oss-callback`` / ``callback`` values: Base64 JSON, Base64 junk, plain junk."""
    return st.one_of(
        loopback_callbacks(),
        loopback_callbacks(),
        loopback_callbacks(),
        st.sampled_from([B64 + "[]", B64 + "null", B64 + "{", B64 + '"\\ud800"', "!!!", "e30"]),
        st.binary(max_size=24).map(lambda raw: base64.b64encode(raw).decode()),
        texts(12),
    )


def callback_var_carrier_texts() -> st.SearchStrategy[str]:
    """``x-oss-callback-var`` / ``callback-var`` values: custom variables, or not quite."""
    return st.one_of(
        custom_vars(max_size=3).map(lambda v: B64 + json.dumps(v)),
        st.sampled_from([B64 + '{"y": "no x prefix"}', B64 + '{"x:n": 1}', B64 + "[1]", "%%"]),
        texts(8),
    )


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


# --- query and headers ------------------------------------------------------------------

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
    "callback": callback_carrier_texts(),
    "callback-var": callback_var_carrier_texts(),
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
    "x-oss-callback": callback_carrier_texts(),
    "x-oss-callback-var": callback_var_carrier_texts(),
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
