"""The robustness tests' requests as data, and how they travel: built, signed, sent, read.

A ``Spec`` is one request with placeholders for what only exists at run time (a live upload,
its part's ETag, the callback receiver's URL); ``Run`` holds those values and ``render`` fills
them in, encodes the path and query, builds PostObject forms and signs the request with the V1
header signature the SDKs compute (``auth.v1``, rest-api.md §4.1), or spoils it as asked.

Requests go over raw sockets: httpx would drop ``..`` path segments, and Content-Length
mismatches and chunked bodies need the socket anyway. Responses are read with
``http.client.HTTPResponse``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from emulator.auth import v1
from emulator.auth.model import Reading, SignedRequest, parse_query
from emulator.auth.post_policy import expand_key, sign_form_v1, signature_v1
from emulator.errors import OSSError
from emulator.protocol.headers import http_date
from emulator.routing import BUCKET_NAME, Resolved, resolve
from emulator.server import EmulatorServer
from tests.conftest import FIXTURES

# The emulator under test has one bucket, BUCKET; MISSING names none.
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


# --- a spec, rendered -------------------------------------------------------------------


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
