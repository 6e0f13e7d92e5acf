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

The strategies live in ``tests.robustness_values`` (names, query, headers, authorization) and
``tests.robustness_strategies`` (bodies, whole requests, scenarios); building, signing,
sending and reading the raw requests in ``tests.robustness_wire``. The server is live and
reached over sockets, so this module is not one of the in-process tests of ``tests/api``.
"""

from __future__ import annotations

import base64
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import given

from emulator.config import Settings
from emulator.receiver import CallbackReceiver
from emulator.routing import Operation
from emulator.server import EmulatorServer
from tests.robustness_strategies import MULTIPART_OPERATIONS, OBJECT_OPERATIONS, scenarios
from tests.robustness_wire import (
    BUCKET,
    ORIGIN,
    PNG,
    UPLOAD_ID,
    Answer,
    Form,
    Run,
    Spec,
    call,
    exchange,
    form_key,
    object_path,
    readings_of,
    render,
    wire,
)

UPLOADS = frozenset(
    {
        Operation.PUT_OBJECT,
        Operation.COPY_OBJECT,
        Operation.APPEND_OBJECT,
        Operation.COMPLETE_MULTIPART_UPLOAD,
        Operation.POST_OBJECT,
    }
)

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
