"""Hypothesis strategies for whole robustness requests, built around the routing table.

``specs`` draws an entry of ``routing.OPERATIONS`` (operation, method, target, selector), then
the parameters, headers and body that usually go with it, and now and then anything else: a
different method, a spoiled signature, wrong framing, another host style, a raw path tail.
``scenarios`` strings a few requests together on one bucket and key so that they meet state.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from emulator.routing import COPY, OPERATIONS, Operation
from tests.robustness_values import (
    AUTH,
    BUCKETS,
    HEADERS,
    KEYS,
    callback_carrier_texts,
    callback_var_carrier_texts,
    loopback_callbacks,
    query_param,
    selector_param,
    texts,
)
from tests.robustness_wire import B64, BUCKET, ORIGIN, PART_ETAG, PNG, Form, Spec

CALLBACK_OPERATIONS = (Operation.PUT_OBJECT, Operation.COMPLETE_MULTIPART_UPLOAD)
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "PROPFIND"]

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
    "callback": callback_carrier_texts(),
    "callback-var": callback_var_carrier_texts(),
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


# --- requests ---------------------------------------------------------------------------

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
        headers.append(("x-oss-callback", draw(loopback_callbacks())))
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
