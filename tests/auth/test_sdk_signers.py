"""Official SDK signers as oracles: what oss2 and alibabacloud-oss-v2 sign, verify accepts.

No network: oss2 runs with a session that prepares the request exactly as ``requests``
would send it and answers 200 itself; v2 runs with an ``HttpClient`` that records the
request, and its signers are also driven directly through a ``SigningContext``.
The bucket and key are read back from the wire URL the way the router does (§1.3).
"""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import alibabacloud_oss_v2 as oss  # type: ignore[import-untyped]
import oss2  # type: ignore[import-untyped]
import pytest
import requests
from alibabacloud_oss_v2.signer import SignerV1, SignerV4  # type: ignore[import-untyped]
from alibabacloud_oss_v2.types import (  # type: ignore[import-untyped]
    Credentials as V2Credentials,
)
from alibabacloud_oss_v2.types import (
    HttpClient,
    HttpRequest,
    HttpResponse,
    SigningContext,
)

from emulator.auth.canonical import SUB_RESOURCES
from emulator.auth.model import Credentials, Reading, SignedRequest, Verified
from emulator.auth.verify import verify
from emulator.errors import SignatureDoesNotMatch

AK, SK, TOKEN = "LTAI-test-ak", "test/secret+key=", "CAIS+sts/token=="
BUCKET = "my-bucket"
IP_ENDPOINT = "http://127.0.0.1:9000"
DNS_ENDPOINT = "http://oss-cn-hangzhou.aliyuncs.com"
KEYS = [
    "plain.txt",
    "dir/sub dir/file name.txt",
    "a+b c+.txt",
    "ключ/文件 ü€.bin",
    "100% real#&=?.txt",
    "~tilde'(1)*!;,$@.txt",
]


def _readings(host: str, raw_path: str) -> list[Reading]:
    """The router's reading (§1.3): virtual host on *.aliyuncs.com, else path style."""
    path = unquote(raw_path)  # RFC 3986 decoding: '+' stays '+', %2F becomes '/'
    label, _, base = host.split(":")[0].partition(".")
    if base.endswith("aliyuncs.com"):
        return [Reading(label, path[1:] or None)]
    bucket, _, key = path[1:].partition("/")
    return [Reading(bucket or None, key or None)]


def _received(
    method: str, url: str, headers: Mapping[str, Any]
) -> tuple[SignedRequest, list[Reading]]:
    """The request as the server gets it from the wire URL and headers."""
    parts = urlsplit(url)
    wire = [(k, str(v)) for k, v in headers.items() if v is not None]
    if not any(k.lower() == "host" for k, _ in wire):
        wire.append(("Host", parts.netloc))
    return (
        SignedRequest.build(method, parts.path, parts.query, wire),
        _readings(parts.netloc, parts.path),
    )


# --- oss2 -----------------------------------------------------------------------------


class _CaptureSession(oss2.Session):  # type: ignore[misc]
    """Prepares each request as oss2's real session would, records it, answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def do_request(self, req: oss2.http.Request, timeout: Any) -> oss2.http.Response:
        prepared = self.session.prepare_request(
            requests.Request(
                req.method, req.url, data=req.data, params=req.params, headers=req.headers
            )
        )
        self.sent.append(prepared)
        raw = requests.Response()
        raw.status_code = 200
        raw.headers = requests.structures.CaseInsensitiveDict(
            {
                "x-oss-request-id": "0" * 24,
                "ETag": '"0"',
                "Content-Length": "0",
                "x-oss-next-append-position": "1",
            }
        )
        raw.raw = io.BytesIO(b"")
        raw.request = prepared
        return oss2.http.Response(raw)


OSS2_AUTHS: dict[str, tuple[Callable[[], Any], Credentials]] = {
    "v1": (lambda: oss2.Auth(AK, SK), Credentials(AK, SK)),
    "v4": (lambda: oss2.AuthV4(AK, SK), Credentials(AK, SK)),
    "sts-v1": (lambda: oss2.StsAuth(AK, SK, TOKEN), Credentials(AK, SK, TOKEN)),
    "sts-v4": (lambda: oss2.StsAuth(AK, SK, TOKEN, auth_version="v4"), Credentials(AK, SK, TOKEN)),
}

OSS2_CALLS: dict[str, Callable[[oss2.Bucket, str], Any]] = {
    "put": lambda b, k: b.put_object(k, b"body", headers={"x-oss-meta-author": "alice"}),
    "get-params": lambda b, k: b.get_object(
        k,
        params={
            "versionId": "v 1+/",
            "response-content-type": "text/plain; charset=utf-8",
            "response-content-disposition": 'attachment; filename="a b.txt"',
            "foo": "bar baz/+",
            "empty": "",
        },
    ),
    "get-process": lambda b, k: b.get_object(k, process="image/resize,w_100"),
    "head": lambda b, k: b.head_object(k),
    "append": lambda b, k: b.append_object(k, 0, b"x"),
    "put-acl": lambda b, k: b.put_object_acl(k, oss2.OBJECT_ACL_PRIVATE),
    "upload-part": lambda b, k: b.upload_part(k, "0004B9894A22E5B1888A1E29F823****", 3, b"x"),
    "delete-version": lambda b, k: b.delete_object(k, params={"versionId": "v1"}),
    "list": lambda b, k: b.list_objects(prefix=k, delimiter="/"),
    "bucket-info": lambda b, k: b.get_bucket_info(),
}


def _oss2_send(
    auth: Any, endpoint: str, call: Callable[[oss2.Bucket, str], Any], key: str
) -> requests.PreparedRequest:
    session = _CaptureSession()
    bucket = oss2.Bucket(
        auth, endpoint, BUCKET, region="cn-hangzhou", session=session, enable_crc=False
    )
    try:
        call(bucket, key)
    except ET.ParseError:  # XML answers: the fake server's body is empty, the request went
        pass
    return session.sent[-1]


class TestOss2:
    """oss2 2.19: Auth, AuthV4, StsAuth (V1 and V4) headers and sign_url."""

    @pytest.mark.parametrize("endpoint", [IP_ENDPOINT, DNS_ENDPOINT])
    @pytest.mark.parametrize("auth_name", sorted(OSS2_AUTHS))
    @pytest.mark.parametrize("key", KEYS)
    def test_header_signed_keys(self, key: str, auth_name: str, endpoint: str) -> None:
        """GET with sub-resources and plain parameters, any key, path or virtual host."""
        make_auth, credentials = OSS2_AUTHS[auth_name]
        sent = _oss2_send(make_auth(), endpoint, OSS2_CALLS["get-params"], key)
        req, readings = _received(sent.method or "", sent.url or "", sent.headers)
        verified = verify(req, readings, credentials, time.time())
        assert verified.reading == Reading(BUCKET, key)
        assert verified.scheme == ("v4-header" if "v4" in auth_name else "v1-header")

    @pytest.mark.parametrize("auth_name", sorted(OSS2_AUTHS))
    @pytest.mark.parametrize("operation", sorted(OSS2_CALLS))
    def test_header_signed_operations(self, operation: str, auth_name: str) -> None:
        """Object, bucket and multipart operations with their sub-resources."""
        make_auth, credentials = OSS2_AUTHS[auth_name]
        sent = _oss2_send(make_auth(), IP_ENDPOINT, OSS2_CALLS[operation], "dir/a b+c.txt")
        req, readings = _received(sent.method or "", sent.url or "", sent.headers)
        assert verify(req, readings, credentials, time.time()).access_key_id == AK

    @pytest.mark.parametrize("slash_safe", [False, True])
    @pytest.mark.parametrize("auth_name", sorted(OSS2_AUTHS))
    @pytest.mark.parametrize("key", KEYS)
    def test_sign_url(self, key: str, auth_name: str, slash_safe: bool) -> None:
        """sign_url V1 and V4 with headers and parameters; the client sends those headers."""
        make_auth, credentials = OSS2_AUTHS[auth_name]
        bucket = oss2.Bucket(make_auth(), IP_ENDPOINT, BUCKET, region="cn-hangzhou")
        headers = {"Content-Type": "text/plain", "x-oss-meta-user": "u 1"}
        url = bucket.sign_url(
            "PUT",
            key,
            3600,
            headers=headers,
            slash_safe=slash_safe,
            params={"versionId": "v+1", "foo": "a b"},
        )
        req, readings = _received("PUT", url, headers)
        verified = verify(req, readings, credentials, time.time())
        assert verified.reading == Reading(BUCKET, key)
        assert verified.scheme == ("v4-query" if "v4" in auth_name else "v1-query")

    def test_sign_url_v4_additional_headers(self) -> None:
        """oss2's own V4 test: listed headers, one absent, one x-oss-* (dropped from the list)."""
        bucket = oss2.Bucket(oss2.AuthV4(AK, SK), IP_ENDPOINT, BUCKET, region="cn-hangzhou")
        headers = {"Content-Length": "9", "custom-header": "abc", "x-oss-forbid-overwrite": "true"}
        url = bucket.sign_url(
            "PUT",
            "v4_additional_test.txt",
            604800,
            slash_safe=True,
            headers=headers,
            additional_headers={
                "Content-Length",
                "custom-header",
                "noexist-header",
                "x-oss-forbid-overwrite",
            },
        )
        assert "x-oss-additional-headers=content-length%3Bcustom-header" in url
        req, readings = _received("PUT", url, headers)
        assert verify(req, readings, Credentials(AK, SK), time.time()).scheme == "v4-query"

    def test_v4_header_additional_headers_first_char_order(self) -> None:
        """oss2 lists 'abc;hzz;haa' (sorted by first character) but signs the sorted list."""
        auth = oss2.AuthV4(AK, SK)
        headers = {"abc": "1", "hzz": "2", "haa": "3", "host": "127.0.0.1:9000"}
        req = oss2.http.Request(
            "GET", f"{IP_ENDPOINT}/{BUCKET}/k", headers=headers, region="cn-hangzhou", product="oss"
        )
        auth._sign_request(req, BUCKET, "k", in_additional_headers=["hzz", "abc", "haa", "missing"])
        assert "AdditionalHeaders=" in req.headers["authorization"]
        received, readings = _received("GET", req.url, req.headers)
        assert verify(received, readings, Credentials(AK, SK), time.time())

    def test_auth_v2_is_refused(self) -> None:
        """oss2 AuthV2 ('OSS2 …' header and URL) is refused (G5)."""
        sent = _oss2_send(oss2.AuthV2(AK, SK), IP_ENDPOINT, OSS2_CALLS["head"], "k")
        req, readings = _received(sent.method or "", sent.url or "", sent.headers)
        with pytest.raises(SignatureDoesNotMatch):
            verify(req, readings, Credentials(AK, SK), time.time())
        url = oss2.Bucket(oss2.AuthV2(AK, SK), IP_ENDPOINT, BUCKET).sign_url("GET", "k", 60)
        req, readings = _received("GET", url, {})
        with pytest.raises(SignatureDoesNotMatch):
            verify(req, readings, Credentials(AK, SK), time.time())

    def test_sub_resource_list_covers_oss2(self) -> None:
        """Every name oss2 signs is a sub-resource here (§4.2 union)."""
        assert oss2.auth.ProviderAuth._subresource_key_set <= SUB_RESOURCES


# --- alibabacloud-oss-v2 --------------------------------------------------------------


class _Response(HttpResponse):  # type: ignore[misc]
    """An empty 200 answer."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__()
        self._request = request

    request = property(lambda self: self._request)
    is_closed = property(lambda self: True)
    is_stream_consumed = property(lambda self: True)
    status_code = property(lambda self: 200)
    headers = property(lambda self: {"x-oss-request-id": "0" * 24})
    reason = property(lambda self: "OK")
    content = property(lambda self: b"")

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def read(self) -> bytes:
        return b""

    def iter_bytes(self, **kwargs: Any) -> Iterator[bytes]:
        return iter([])


class _Capture(HttpClient):  # type: ignore[misc]
    """Records every request instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[HttpRequest] = []

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.sent.append(request)
        return _Response(request)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


def _v2_client(
    version: str,
    token: str | None,
    endpoint: str = IP_ENDPOINT,
    capture: _Capture | None = None,
    **options: Any,
) -> oss.Client:
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK, token)
    cfg.region = "cn-hangzhou"
    cfg.endpoint = endpoint
    cfg.signature_version = version
    if capture is not None:
        cfg.http_client = capture
    for name, value in options.items():
        setattr(cfg, name, value)
    return oss.Client(cfg)


V2_CALLS: dict[str, Callable[[oss.Client, str], Any]] = {
    "put": lambda c, k: c.put_object(
        oss.PutObjectRequest(bucket=BUCKET, key=k, body=b"x", metadata={"author": "alice"})
    ),
    "get": lambda c, k: c.get_object(
        oss.GetObjectRequest(
            bucket=BUCKET,
            key=k,
            version_id="v 1+/",
            response_content_type="text/plain; a=b",
            process="image/resize,w_100",
        )
    ),
    "head": lambda c, k: c.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=k)),
    "acl": lambda c, k: c.get_object_acl(oss.GetObjectAclRequest(bucket=BUCKET, key=k)),
    "append": lambda c, k: c.append_object(
        oss.AppendObjectRequest(bucket=BUCKET, key=k, position=0, body=b"x")
    ),
    "delete": lambda c, k: c.delete_object(
        oss.DeleteObjectRequest(bucket=BUCKET, key=k, version_id="v1")
    ),
    "list-v2": lambda c, k: c.list_objects_v2(
        oss.ListObjectsV2Request(bucket=BUCKET, prefix=k, delimiter="/")
    ),
    "list": lambda c, k: c.list_objects(oss.ListObjectsRequest(bucket=BUCKET, prefix=k)),
    "bucket-info": lambda c, k: c.get_bucket_info(oss.GetBucketInfoRequest(bucket=BUCKET)),
    "list-buckets": lambda c, k: c.list_buckets(oss.ListBucketsRequest()),
}


def _v2_send(
    version: str,
    token: str | None,
    call: Callable[[oss.Client, str], Any],
    key: str,
    endpoint: str = IP_ENDPOINT,
    **options: Any,
) -> HttpRequest:
    capture = _Capture()
    call(_v2_client(version, token, endpoint, capture, **options), key)
    return capture.sent[-1]


class TestV2Client:
    """alibabacloud-oss-v2 1.4 Client: V1 and V4, permanent and STS, header and presign."""

    @pytest.mark.parametrize("token", [None, TOKEN], ids=["permanent", "sts"])
    @pytest.mark.parametrize("version", ["v1", "v4"])
    @pytest.mark.parametrize("key", KEYS)
    def test_header_signed_keys(self, key: str, version: str, token: str | None) -> None:
        """GET with sub-resources and x-oss-process (unsigned by v2 in V1), any key."""
        sent = _v2_send(version, token, V2_CALLS["get"], key)
        req, readings = _received(sent.method, sent.url, sent.headers)
        verified = verify(req, readings, Credentials(AK, SK, token), time.time())
        assert verified == Verified(Reading(BUCKET, key), AK, f"{version}-header")

    @pytest.mark.parametrize("token", [None, TOKEN], ids=["permanent", "sts"])
    @pytest.mark.parametrize("version", ["v1", "v4"])
    @pytest.mark.parametrize("operation", sorted(V2_CALLS))
    def test_header_signed_operations(
        self, operation: str, version: str, token: str | None
    ) -> None:
        """Object, bucket and service operations with their fixed headers and parameters."""
        sent = _v2_send(version, token, V2_CALLS[operation], "dir/a b+c.txt")
        req, readings = _received(sent.method, sent.url, sent.headers)
        assert verify(req, readings, Credentials(AK, SK, token), time.time()).access_key_id == AK

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_localhost_path_style(self, version: str) -> None:
        """localhost with use_path_style, the documented v2 set-up for the emulator."""
        sent = _v2_send(
            version, None, V2_CALLS["put"], "k 1", "http://localhost:9000", use_path_style=True
        )
        req, readings = _received(sent.method, sent.url, sent.headers)
        assert verify(req, readings, Credentials(AK, SK), time.time()).reading == (
            Reading(BUCKET, "k 1")
        )

    @pytest.mark.parametrize("token", [None, TOKEN], ids=["permanent", "sts"])
    @pytest.mark.parametrize("version", ["v1", "v4"])
    @pytest.mark.parametrize("key", KEYS)
    def test_presign(self, key: str, version: str, token: str | None) -> None:
        """presign GET (sub-resources) and PUT (signed Content-Type header) verify."""
        client = _v2_client(version, token)
        for request in (
            oss.GetObjectRequest(
                bucket=BUCKET,
                key=key,
                version_id="v 1",
                response_content_disposition="attachment; filename=a+b",
            ),
            oss.PutObjectRequest(bucket=BUCKET, key=key, content_type="text/plain"),
        ):
            result = client.presign(request)
            req, readings = _received(result.method, result.url, result.signed_headers or {})
            verified = verify(req, readings, Credentials(AK, SK, token), time.time())
            assert verified == Verified(Reading(BUCKET, key), AK, f"{version}-query")

    def test_sub_resource_list_covers_v2(self) -> None:
        """Every name v2's V1 signer signs is a sub-resource here (§4.2 union)."""
        assert SignerV1._subresource_key_set <= SUB_RESOURCES


class TestV2Signers:
    """SignerV1 / SignerV4 driven through a SigningContext at a fixed signing time."""

    SIGNED_AT = datetime(2026, 11, 25, 19, 56, 17, tzinfo=UTC)

    def _context(
        self,
        key: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        token: str | None = None,
        **options: Any,
    ) -> SigningContext:
        url = f"{IP_ENDPOINT}/{BUCKET}/{quote(key)}" + (f"?{query}" if query else "")
        return SigningContext(
            product="oss",
            region=options.pop("region", "cn-hangzhou"),
            bucket=BUCKET,
            key=key,
            request=HttpRequest("PUT", url, headers=dict(headers or {})),
            credentials=V2Credentials(AK, SK, token),
            signing_time=self.SIGNED_AT,
            **options,
        )

    def _verify(self, context: SigningContext, token: str | None = None) -> Verified:
        request = context.request
        req, readings = _received(request.method, request.url, request.headers)
        return verify(req, readings, Credentials(AK, SK, token), self.SIGNED_AT.timestamp())

    @pytest.mark.parametrize("signer", [SignerV1(), SignerV4()], ids=["v1", "v4"])
    @pytest.mark.parametrize("key", KEYS)
    def test_header(self, key: str, signer: Any) -> None:
        """Header auth with a token, sub-resources and plain parameters."""
        context = self._context(
            key,
            "uploadId=u%201&partNumber=2&foo=%2Bbar",
            token=TOKEN,
            headers={"Content-Type": "text/plain", "x-oss-meta-a": "b"},
        )
        signer.sign(context)
        assert self._verify(context, TOKEN).reading == Reading(BUCKET, key)

    @pytest.mark.parametrize("signer", [SignerV1(), SignerV4()], ids=["v1", "v4"])
    @pytest.mark.parametrize("key", KEYS)
    def test_query(self, key: str, signer: Any) -> None:
        """Presigned with a token; expires 15 minutes after signing."""
        context = self._context(key, "versionId=v%2B1&param2", token=TOKEN)
        context.auth_method_query = True
        context.expiration_time = self.SIGNED_AT + timedelta(minutes=15)
        signer.sign(context)
        assert self._verify(context, TOKEN).reading == Reading(BUCKET, key)

    @pytest.mark.parametrize("query_auth", [False, True], ids=["header", "query"])
    def test_v4_additional_headers(self, query_auth: bool) -> None:
        """AdditionalHeaders from the context (lower-cased, sorted by the signer)."""
        context = self._context(
            "k",
            headers={"abc": "1", "ZAbc": "2", "Host": "127.0.0.1"},
            additional_headers={"ZAbc", "abc", "host"},
        )
        context.auth_method_query = query_auth
        context.expiration_time = self.SIGNED_AT + timedelta(hours=1)
        SignerV4().sign(context)
        assert self._verify(context).scheme == ("v4-query" if query_auth else "v4-header")

    def test_v4_empty_region(self) -> None:
        """v2 with no region signs the scope '<date>//oss/aliyun_v4_request'."""
        context = self._context("k", region=None)
        SignerV4().sign(context)
        assert "//oss/aliyun_v4_request" in context.request.headers["Authorization"]
        assert self._verify(context).scheme == "v4-header"
