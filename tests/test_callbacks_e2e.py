"""Upload callbacks end to end: real SDKs upload, a real receiver verifies like Alibaba's sample.

Every test checks three things: what the application server received (and that its
signature verified the way the official sample server verifies), what the uploader got back
(200 with the app's body, or 203 CallbackFailed), and that the object is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit, urlunsplit

import alibabacloud_oss_v2 as oss
import httpx
import oss2
import pytest
import requests

from emulator.receiver import CallbackReceiver, Reply
from emulator.server import EmulatorServer
from tests.conftest import FIXTURES, b64

pytestmark = pytest.mark.sdk


def v2_client(server: EmulatorServer) -> oss.Client:
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        server.access_key_id, server.access_key_secret
    )
    cfg.region, cfg.endpoint, cfg.retry_max_attempts = server.region, server.endpoint, 1
    return oss.Client(cfg)


FORM_BODY = (
    "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}"
    "&mimeType=${mimeType}&crc64=${crc64}&my_var=${x:my_var}"
)


class TestPutObject:
    """PutObject with the header carrier, through oss2 and v2."""

    def test_form_body_verifies_and_reply_is_relayed(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver, oss_emulator: EmulatorServer
    ) -> None:
        """The receiver verifies the signature; the uploader gets its JSON byte for byte."""
        receiver.default_reply = Reply(body=b'{"Status":"OK","id":42}')
        headers = {
            "x-oss-callback": b64(
                {"callbackUrl": receiver.url("/cb?from=test"), "callbackBody": FORM_BODY}
            ),
            "x-oss-callback-var": b64({"x:my_var": "a b&c=ü"}),
        }
        result = bucket.put_object("dir/photo 1.txt", b"hello world", headers=headers)
        assert result.status == 200
        assert result.resp.read() == b'{"Status":"OK","id":42}'
        (got,) = receiver.requests
        assert got.verified, got.verify_error
        assert got.path == "/cb?from=test"
        assert got.headers["content-type"] == "application/x-www-form-urlencoded"
        assert got.headers["user-agent"] == "aliyun-oss-callback"
        assert got.headers["x-oss-bucket"] == oss_emulator.bucket
        assert got.headers["x-oss-request-id"] == result.request_id
        fields = parse_qs(got.body.decode(), keep_blank_values=True)
        assert fields["object"] == ["dir/photo 1.txt"]
        assert fields["size"] == ["11"]
        assert fields["etag"] == ["5EB63BBBE01EEED093CB22BB8F5ACDC3"]
        assert fields["mimeType"] == ["text/plain"]
        assert fields["crc64"] == ["5981764153023615706"]
        assert fields["my_var"] == ["a b&c=ü"]
        assert bucket.get_object("dir/photo 1.txt").read() == b"hello world"
        journal = httpx.get(f"{oss_emulator.endpoint}/_emulator/callbacks").json()
        assert [entry["verdict"] for entry in journal] == ["success"]
        assert journal[0]["request"]["line"] == "POST /cb?from=test HTTP/1.1"
        assert journal[0]["upload"]["request_id"] == result.request_id
        assert journal[0]["response"]["body"] == {"text": '{"Status":"OK","id":42}'}
        assert journal == oss_emulator.callbacks
        assert httpx.delete(f"{oss_emulator.endpoint}/_emulator/callbacks").status_code == 204
        assert oss_emulator.callbacks == []

    def test_json_body_with_image_info(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver
    ) -> None:
        """A JSON template expands to valid JSON; imageInfo comes from the PNG's header (C23)."""
        client = v2_client(oss_emulator)
        template = (
            '{"bucket":${bucket},"object":${object},"size":${size},'
            '"w":${imageInfo.width},"h":${imageInfo.height},"f":${imageInfo.format},'
            '"note":"${x:note}"}'
        )
        result = client.put_object(
            oss.PutObjectRequest(
                bucket=oss_emulator.bucket,
                key="img.png",
                body=(FIXTURES / "images" / "sample.png").read_bytes(),
                callback=b64(
                    {
                        "callbackUrl": receiver.url(),
                        "callbackBody": template,
                        "callbackBodyType": "application/json",
                    }
                ),
                callback_var=b64({"x:note": 'say "hi"'}),
            )
        )
        assert result.status_code == 200
        assert json.loads(result.callback_result) == {"Status": "OK"}
        (got,) = receiver.requests
        assert got.verified, got.verify_error
        assert got.json() == {
            "bucket": oss_emulator.bucket,
            "object": "img.png",
            "size": (FIXTURES / "images" / "sample.png").stat().st_size,
            "w": 31,
            "h": 17,
            "f": "png",
            "note": 'say "hi"',
        }

    def test_presigned_put_with_callback_in_query(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """callback and callback-var as signed query parameters of a presigned URL (C22)."""
        params = {
            "callback": b64({"callbackUrl": receiver.url(), "callbackBody": FORM_BODY}),
            "callback-var": b64({"x:my_var": "query"}),
        }
        url = bucket.sign_url("PUT", "presigned.txt", 60, params=params)
        response = requests.put(url, data=b"via url", timeout=10)
        assert response.status_code == 200, response.text
        assert response.json() == {"Status": "OK"}
        assert receiver.requests[0].verified
        assert parse_qs(receiver.requests[0].body.decode())["my_var"] == ["query"]


class TestMultipart:
    """The callback rides on CompleteMultipartUpload; the app's body replaces the XML (C21)."""

    def test_oss2_complete_with_callback(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """Size is the whole object's; contentMd5 is empty for multipart."""
        upload_id = bucket.init_multipart_upload("mp.bin").upload_id
        parts = [
            bucket.upload_part("mp.bin", upload_id, n, data)
            for n, data in ((1, b"a" * 102400), (2, b"b" * 5))
        ]
        headers = {
            "x-oss-callback": b64(
                {"callbackUrl": receiver.url(), "callbackBody": "size=${size}&md5=${contentMd5}"}
            )
        }
        result = bucket.complete_multipart_upload(
            "mp.bin",
            upload_id,
            [oss2.models.PartInfo(n + 1, p.etag) for n, p in enumerate(parts)],
            headers=headers,
        )
        assert result.status == 200
        assert result.resp.read() == b'{"Status":"OK"}'
        assert receiver.requests[0].body == b"size=102405&md5="
        assert receiver.requests[0].verified

    def test_v2_complete_with_callback(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver
    ) -> None:
        """v2 returns the app's body as callback_result instead of parsing XML."""
        client = v2_client(oss_emulator)
        key = "v2-mp.bin"
        init = client.initiate_multipart_upload(
            oss.InitiateMultipartUploadRequest(bucket=oss_emulator.bucket, key=key)
        )
        client.upload_part(
            oss.UploadPartRequest(
                bucket=oss_emulator.bucket,
                key=key,
                upload_id=init.upload_id,
                part_number=1,
                body=b"only part",
            )
        )
        receiver.default_reply = Reply(body=b'{"done":true}')
        result = client.complete_multipart_upload(
            oss.CompleteMultipartUploadRequest(
                bucket=oss_emulator.bucket,
                key=key,
                upload_id=init.upload_id,
                complete_all="yes",
                callback=b64({"callbackUrl": receiver.url(), "callbackBody": "k=${object}"}),
            )
        )
        assert json.loads(result.callback_result) == {"done": True}
        assert receiver.requests[0].body == b"k=v2-mp.bin"


FAILURES = [
    (Reply(status=500), "Error status : 500.", "0007-00000203"),
    (
        Reply(status=302, location="http://127.0.0.1:1/elsewhere"),
        "Error status : 302.",
        "0007-00000203",
    ),
    (
        Reply(content_length=False),
        "Error Status : 400.User server missing content-length.",
        "0007-00000203",
    ),
    (
        Reply(body=b""),
        "Error Status : 400.User server return invalid conent-length value.",
        "0007-00000203",
    ),
    (
        Reply(body=b"x" * (1024 * 1024 + 1)),
        "Error Status : 400.User server return too long content-length value.",
        "0007-00000203",
    ),
    (Reply(body=b"OK"), "Response body is not valid json format.", "0007-00000205"),
    (
        Reply(body=b'\xef\xbb\xbf{"a":1}'),
        "Response body is not valid json format.",
        "0007-00000205",
    ),
]


class TestFailures:
    """Each misbehaving application server gives the real 203 message; the object stays."""

    @pytest.mark.parametrize(
        ("reply", "message", "ec"),
        FAILURES,
        ids=["500", "redirect", "chunked", "empty", "too-long", "not-json", "bom"],
    )
    def test_bad_answers(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver, reply: Reply, message: str, ec: str
    ) -> None:
        """oss2 sees 203 as a success carrying the CallbackFailed XML."""
        receiver.default_reply = reply
        headers = {
            "x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "o=${object}"})
        }
        result = bucket.put_object("kept.txt", b"stored anyway", headers=headers)
        assert result.status == 203
        error = ET.fromstring(result.resp.read())
        assert (error.findtext("Code"), error.findtext("Message"), error.findtext("EC")) == (
            "CallbackFailed",
            message,
            ec,
        )
        assert result.etag == "D55D3B2F9DB6CF560F44CF3BDB6409D3"  # upload headers ride on the 203
        assert bucket.get_object("kept.txt").read() == b"stored anyway"

    def test_connection_refused(self, bucket: oss2.Bucket) -> None:
        """Nothing listening: the -1 message of C11."""
        headers = {
            "x-oss-callback": b64({"callbackUrl": "http://127.0.0.1:9/cb", "callbackBody": "a=b"})
        }
        result = bucket.put_object("refused.txt", b"x", headers=headers)
        assert result.status == 203
        assert ET.fromstring(result.resp.read()).findtext("Message") == (
            "Error status : -1.OSS can not connect to your callbackUrl, please check it."
        )

    def test_timeout(self, tmp_path: Path, receiver: CallbackReceiver) -> None:
        """An answer slower than the budget is 'Cost too long time.' (EC 0007-00000202)."""
        from emulator.config import Settings

        settings = Settings(port=0, data_dir=tmp_path, callback_timeout=0.3)
        receiver.default_reply = Reply(delay=1.0)
        with EmulatorServer(settings) as server:
            bucket = oss2.Bucket(
                oss2.Auth(server.access_key_id, server.access_key_secret),
                server.endpoint,
                server.bucket,
            )
            headers = {
                "x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a=b"})
            }
            result = bucket.put_object("slow.txt", b"x", headers=headers)
        error = ET.fromstring(result.resp.read())
        assert (result.status, error.findtext("Message"), error.findtext("EC")) == (
            203,
            "Cost too long time.",
            "0007-00000202",
        )

    def test_second_url_after_failing_first(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """URLs are tried in order; the first success wins (C8)."""
        urls = f"http://127.0.0.1:9/down;{receiver.url('/second')}"
        headers = {"x-oss-callback": b64({"callbackUrl": urls, "callbackBody": "a=b"})}
        result = bucket.put_object("two-urls.txt", b"x", headers=headers)
        assert result.status == 200
        assert [r.path for r in receiver.requests] == ["/second"]

    def test_v2_sees_203_without_exception(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver
    ) -> None:
        """alibabacloud-oss-v2 reports 203 with the XML in callback_result."""
        receiver.default_reply = Reply(status=404)
        result = v2_client(oss_emulator).put_object(
            oss.PutObjectRequest(
                bucket=oss_emulator.bucket,
                key="v2-fail.txt",
                body=b"x",
                callback=b64({"callbackUrl": receiver.url(), "callbackBody": "a=b"}),
            )
        )
        assert result.status_code == 203
        assert "<Code>CallbackFailed</Code>" in result.callback_result


class TestValidation:
    """A bad callback parameter is a 400 and nothing is stored (C5)."""

    @pytest.mark.parametrize(
        ("callback", "ec"),
        [
            ("not base64!", "0007-00000002"),
            (b64("not json"), "0007-00000003"),
            (b64({"callbackUrl": "http://[::1]:8080/cb", "callbackBody": "a=b"}), "0007-00000004"),
            (
                b64({"callbackUrl": ";".join(["http://127.0.0.1:1/"] * 6), "callbackBody": "a"}),
                "0007-00000005",
            ),
            (b64({"callbackUrl": "http://127.0.0.1:1/", "callbackBody": "${x"}), "0007-00000105"),
        ],
    )
    def test_refused_before_storing(self, bucket: oss2.Bucket, callback: str, ec: str) -> None:
        """oss2 raises InvalidArgument with the EC; the key does not exist afterwards."""
        with pytest.raises(oss2.exceptions.InvalidArgument) as info:
            bucket.put_object("never.txt", b"x", headers={"x-oss-callback": callback})
        assert info.value.ec == ec
        assert not bucket.object_exists("never.txt")

    def test_no_callback_url_is_a_plain_upload(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver
    ) -> None:
        """A callback without callbackUrl means no callback at all (callback.md §4.1 step 6)."""
        result = bucket.put_object(
            "plain.txt", b"x", headers={"x-oss-callback": b64({"callbackBody": "a=b"})}
        )
        assert (result.status, result.resp.read()) == (200, b"")
        assert receiver.requests == []


class TestPublicKey:
    """The key that verifies callbacks is served where x-oss-pub-key-url points (C17)."""

    def test_pub_key_url_default_and_pem(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver, oss_emulator: EmulatorServer
    ) -> None:
        """Default URL: the emulator's own /callback_pub_key_v1.pem."""
        headers = {"x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a"})}
        bucket.put_object("k", b"x", headers=headers)
        key_url = base64.b64decode(receiver.requests[0].headers["x-oss-pub-key-url"]).decode()
        assert key_url == f"{oss_emulator.endpoint}/callback_pub_key_v1.pem"
        assert httpx.get(key_url).text.startswith("-----BEGIN PUBLIC KEY-----")
        assert httpx.get(key_url).content == oss_emulator.public_key_pem

    def test_configured_key_and_pub_key_url(
        self, tmp_path: Path, receiver: CallbackReceiver
    ) -> None:
        """--callback-private-key signs; --pub-key-url is what x-oss-pub-key-url advertises."""
        from emulator.config import Settings

        keys = FIXTURES / "keys"
        settings = Settings(
            port=0,
            data_dir=tmp_path,
            callback_private_key=keys / "callback-test-private.pem",
            pub_key_url="http://gosspublic.alicdn.com/callback_pub_key_v1.pem",
        )
        with EmulatorServer(settings) as server:
            assert server.public_key_pem == (keys / "callback-test-public.pem").read_bytes()
            bucket = oss2.Bucket(
                oss2.Auth(server.access_key_id, server.access_key_secret),
                server.endpoint,
                server.bucket,
            )
            headers = {"x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a"})}
            bucket.put_object("k", b"x", headers=headers)
        (got,) = receiver.requests
        advertised = base64.b64decode(got.headers["x-oss-pub-key-url"]).decode()
        assert advertised == "http://gosspublic.alicdn.com/callback_pub_key_v1.pem"
        # The receiver cannot fetch from that name here (no alias), so verify with the file.
        from emulator.callback.signing import verify
        from emulator.receiver import sample_string_to_sign

        signed = sample_string_to_sign(got.path, got.body)
        public = (keys / "callback-test-public.pem").read_bytes()
        assert verify(public, got.headers["authorization"], signed)


def v4_bucket(server: EmulatorServer) -> oss2.Bucket:
    """An oss2 bucket signing with V4 (OSS4-HMAC-SHA256)."""
    auth = oss2.AuthV4(server.access_key_id, server.access_key_secret)
    return oss2.Bucket(auth, server.endpoint, server.bucket, region=server.region)


def signed_request(
    bucket: oss2.Bucket,
    method: str,
    key: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    content: bytes = b"",
) -> httpx.Response:
    """A request presigned by oss2 (query parameters signed, headers signed) sent by httpx."""
    url = bucket.sign_url(method, key, 60, headers=headers, params=params)
    return httpx.request(method, url, headers=headers, content=content, timeout=30)


def error_of(response: httpx.Response) -> tuple[str, str]:
    """``Code`` and ``EC`` of an error response (the EC from the body and the header agree)."""
    root = ET.fromstring(response.content)
    assert response.headers.get("x-oss-ec") == root.findtext("EC")
    return root.findtext("Code") or "", root.findtext("EC") or ""


def complete_xml(parts: list[tuple[int, str]]) -> bytes:
    items = "".join(
        f"<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        for number, etag in parts
    )
    return f"<CompleteMultipartUpload>{items}</CompleteMultipartUpload>".encode()


def base64_of_length(length: int, document: dict[str, str], field: str) -> str:
    """``b64(document)`` padded through ``document[field]`` to exactly ``length`` characters."""
    assert length % 4 == 0
    filler = length * 3 // 4 - len(json.dumps(document))
    value = b64({**document, field: document[field] + "y" * filler})
    assert len(value) == length
    return value


class TestQueryCarrier:
    """callback / callback-var as signed query parameters of presigned URLs (C22)."""

    def test_v4_presigned_put(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver
    ) -> None:
        """oss2.AuthV4 signs the parameters into the canonical query; the callback verifies."""
        bucket = v4_bucket(oss_emulator)
        receiver.default_reply = Reply(body=b'{"from":"app"}')
        params = {
            "callback": b64(
                {"callbackUrl": receiver.url("/v4"), "callbackBody": "o=${object}&v=${x:v}"}
            ),
            "callback-var": b64({"x:v": "v4 var"}),
        }
        url = bucket.sign_url("PUT", "v4/presigned.txt", 60, params=params)
        assert "x-oss-signature-version=OSS4-HMAC-SHA256" in url
        response = httpx.put(url, content=b"v4 body")
        assert response.status_code == 200, response.text
        assert response.content == b'{"from":"app"}'
        (got,) = receiver.requests
        assert got.verified, got.verify_error
        assert (got.path, got.body) == ("/v4", b"o=v4%2Fpresigned.txt&v=v4%20var")
        assert bucket.get_object("v4/presigned.txt").read() == b"v4 body"

    @pytest.mark.parametrize("name", ["callback", "callback-var"])
    def test_v4_parameters_are_signed(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver, name: str
    ) -> None:
        """Changing either parameter after signing breaks the V4 signature: 403, no callback."""
        bucket = v4_bucket(oss_emulator)
        params = {
            "callback": b64({"callbackUrl": receiver.url("/signed"), "callbackBody": "a=b"}),
            "callback-var": b64({"x:v": "signed"}),
        }
        url = bucket.sign_url("PUT", "tampered.txt", 60, params=params)
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query[name] = {
            "callback": b64({"callbackUrl": receiver.url("/evil"), "callbackBody": "a=b"}),
            "callback-var": b64({"x:v": "evil"}),
        }[name]
        response = httpx.put(urlunsplit(parts._replace(query=urlencode(query))), content=b"x")
        assert response.status_code == 403
        root = ET.fromstring(response.content)
        assert root.findtext("Code") == "SignatureDoesNotMatch"
        canonical_query = (root.findtext("CanonicalRequest") or "").split("\n")[2]
        assert f"{name}={quote(query[name], safe='')}" in canonical_query.split("&")
        assert receiver.requests == []
        assert oss_emulator.callbacks == []
        assert not bucket.object_exists("tampered.txt")

    def test_presigned_complete_multipart(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver, oss_emulator: EmulatorServer
    ) -> None:
        """The Cloudreve case: parts uploaded normally, Complete via a presigned URL + callback."""
        key = "cloudreve/big.bin"
        upload_id = bucket.init_multipart_upload(key).upload_id
        chunks = [b"a" * 102400, b"tail"]
        etags = [
            bucket.upload_part(key, upload_id, number, chunk).etag
            for number, chunk in enumerate(chunks, start=1)
        ]
        receiver.default_reply = Reply(body=b'{"code":0}')
        callback = b64(
            {
                "callbackUrl": receiver.url("/api/v3/callback/oss/session"),
                "callbackBody": '{"name":${x:fname},"source_name":${object},"size":${size},'
                '"op":${operation},"md5":"${contentMd5}"}',
                "callbackBodyType": "application/json",
            }
        )
        response = signed_request(
            bucket,
            "POST",
            key,
            params={
                "uploadId": upload_id,
                "callback": callback,
                "callback-var": b64({"x:fname": "big.bin"}),
            },
            content=complete_xml(list(enumerate(etags, start=1))),
        )
        assert response.status_code == 200, response.text
        assert response.content == b'{"code":0}'  # the app's body replaces the XML (C21)
        assert response.headers["content-type"] == "application/json"
        assert response.headers["etag"].endswith('-2"')
        (got,) = receiver.requests
        assert got.verified, got.verify_error
        assert got.json() == {
            "name": "big.bin",
            "source_name": key,
            "size": 102404,
            "op": "CompleteMultipartUpload",
            "md5": "",
        }
        assert [entry["verdict"] for entry in oss_emulator.callbacks] == ["success"]
        assert bucket.get_object(key).read() == b"".join(chunks)


CARRIER_CONFLICTS = [
    ("callback", "x-oss-callback", "0007-00000027"),
    ("callback-var", "x-oss-callback-var", "0007-00000106"),
]


def carrier_values(receiver: CallbackReceiver) -> dict[str, str]:
    """A valid value for each callback parameter, by its query name."""
    return {
        "callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a=${x:a}"}),
        "callback-var": b64({"x:a": "b"}),
    }


class TestCarrierConflictsAndSizes:
    """One carrier per parameter (C22) and the 5120-byte limits (C24), over HTTP."""

    @pytest.mark.parametrize(("param", "header", "ec"), CARRIER_CONFLICTS)
    def test_put_with_header_and_query(
        self,
        bucket: oss2.Bucket,
        receiver: CallbackReceiver,
        oss_emulator: EmulatorServer,
        param: str,
        header: str,
        ec: str,
    ) -> None:
        """PutObject: the same parameter in header and query is 400 with its EC."""
        values = carrier_values(receiver)
        headers = {"x-oss-callback": values["callback"], header: values[param]}
        response = signed_request(
            bucket, "PUT", "mixed.txt", headers=headers, params={param: values[param]}, content=b"x"
        )
        assert response.status_code == 400
        assert error_of(response) == ("InvalidArgument", ec)
        assert not bucket.object_exists("mixed.txt")
        assert receiver.requests == []
        assert oss_emulator.callbacks == []

    @pytest.mark.parametrize(("param", "header", "ec"), CARRIER_CONFLICTS)
    def test_complete_with_header_and_query(
        self,
        bucket: oss2.Bucket,
        receiver: CallbackReceiver,
        oss_emulator: EmulatorServer,
        param: str,
        header: str,
        ec: str,
    ) -> None:
        """CompleteMultipartUpload: same 400; the upload is not completed and keeps its part."""
        upload_id = bucket.init_multipart_upload("mixed.bin").upload_id
        etag = bucket.upload_part("mixed.bin", upload_id, 1, b"part").etag
        values = carrier_values(receiver)
        headers = {"x-oss-callback": values["callback"], header: values[param]}
        response = signed_request(
            bucket,
            "POST",
            "mixed.bin",
            headers=headers,
            params={"uploadId": upload_id, param: values[param]},
            content=complete_xml([(1, etag)]),
        )
        assert response.status_code == 400
        assert error_of(response) == ("InvalidArgument", ec)
        assert not bucket.object_exists("mixed.bin")
        assert [part.part_number for part in bucket.list_parts("mixed.bin", upload_id).parts] == [1]
        assert receiver.requests == []
        assert oss_emulator.callbacks == []

    @pytest.mark.parametrize("carrier", ["header", "query"])
    @pytest.mark.parametrize(
        ("param", "ec"), [("callback", "0007-00000001"), ("callback-var", "0007-00000101")]
    )
    def test_size_limit(
        self,
        bucket: oss2.Bucket,
        receiver: CallbackReceiver,
        oss_emulator: EmulatorServer,
        carrier: str,
        param: str,
        ec: str,
    ) -> None:
        """5120 Base64 characters pass; the next length (5124) is refused before storing."""

        def values(length: int) -> dict[str, str]:
            callback = {"callbackUrl": receiver.url("/size"), "callbackBody": "a="}
            if param == "callback":
                return {"callback": base64_of_length(length, callback, "callbackBody")}
            return {
                "callback": b64({**callback, "callbackBody": "n=${object}"}),
                "callback-var": base64_of_length(length, {"x:pad": ""}, "x:pad"),
            }

        def upload(key: str, length: int) -> httpx.Response:
            given = values(length)
            if carrier == "query":
                return signed_request(bucket, "PUT", key, params=given, content=b"x")
            headers = {f"x-oss-{name}": value for name, value in given.items()}
            return signed_request(bucket, "PUT", key, headers=headers, content=b"x")

        at_limit = upload("at-limit.txt", 5120)
        assert at_limit.status_code == 200, at_limit.text
        assert len(receiver.requests) == 1
        assert bucket.object_exists("at-limit.txt")

        over = upload("over-limit.txt", 5124)
        assert over.status_code == 400
        assert error_of(over) == ("InvalidArgument", ec)
        assert not bucket.object_exists("over-limit.txt")
        assert len(receiver.requests) == 1
        assert len(oss_emulator.callbacks) == 1


def _append(bucket: oss2.Bucket, headers: dict[str, str]) -> int:
    result = bucket.append_object("appended.txt", 0, b"appended", headers=headers)
    assert result.next_position == 8
    assert bucket.get_object("appended.txt").read() == b"appended"
    return int(result.status)


def _copy(bucket: oss2.Bucket, headers: dict[str, str]) -> int:
    bucket.put_object("source.txt", b"source")
    result = bucket.copy_object(bucket.bucket_name, "source.txt", "copied.txt", headers=headers)
    assert bucket.get_object("copied.txt").read() == b"source"
    return int(result.status)


def _initiate(bucket: oss2.Bucket, headers: dict[str, str]) -> int:
    result = bucket.init_multipart_upload("initiated.bin", headers=headers)
    assert result.upload_id  # the InitiateMultipartUploadResult XML, not an app body
    return int(result.status)


def _upload_part(bucket: oss2.Bucket, headers: dict[str, str]) -> int:
    upload_id = bucket.init_multipart_upload("parted.bin").upload_id
    result = bucket.upload_part("parted.bin", upload_id, 1, b"part", headers=headers)
    assert result.etag.upper() == hashlib.md5(b"part").hexdigest().upper()
    return int(result.status)


class TestIgnoredOperations:
    """G1: callback parameters on Append, Copy, UploadPart, Initiate: not checked, not used."""

    @pytest.mark.parametrize("valid", [False, True], ids=["not-base64", "valid"])
    @pytest.mark.parametrize(
        "operation",
        [_append, _copy, _initiate, _upload_part],
        ids=["append", "copy", "initiate", "upload-part"],
    )
    def test_callback_headers_ignored(
        self,
        bucket: oss2.Bucket,
        receiver: CallbackReceiver,
        oss_emulator: EmulatorServer,
        operation: Callable[[oss2.Bucket, dict[str, str]], int],
        valid: bool,
    ) -> None:
        """A bad parameter is no 400, a good one sends nothing: 200 and the usual result."""
        if valid:
            headers = {
                "x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a=b"}),
                "x-oss-callback-var": b64({"x:a": "b"}),
            }
        else:
            headers = {"x-oss-callback": "!!not base64", "x-oss-callback-var": "!!not base64"}
        assert operation(bucket, headers) == 200
        assert receiver.requests == []
        assert oss_emulator.callbacks == []


class TestVariablesAndFailedUploads:
    """${clientIp}, and no callback for an upload that fails."""

    def test_client_ip_is_the_uploader(
        self, oss_emulator: EmulatorServer, receiver: CallbackReceiver
    ) -> None:
        """${clientIp} is the TCP peer of the upload (G9): 127.0.0.1 here, in both body types."""
        client = v2_client(oss_emulator)
        for key, template, body_type in [
            ("ip-form.txt", "ip=${clientIp}", "application/x-www-form-urlencoded"),
            ("ip-json.txt", '{"ip":${clientIp}}', "application/json"),
        ]:
            client.put_object(
                oss.PutObjectRequest(
                    bucket=oss_emulator.bucket,
                    key=key,
                    body=b"x",
                    callback=b64(
                        {
                            "callbackUrl": receiver.url(),
                            "callbackBody": template,
                            "callbackBodyType": body_type,
                        }
                    ),
                )
            )
        assert [r.body for r in receiver.requests] == [b"ip=127.0.0.1", b'{"ip":"127.0.0.1"}']

    def test_failed_put_sends_nothing(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver, oss_emulator: EmulatorServer
    ) -> None:
        """A Content-MD5 that does not match the body: 400 InvalidDigest, no object, no callback."""
        headers = {
            "x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a=b"}),
            "Content-MD5": base64.b64encode(hashlib.md5(b"other").digest()).decode(),
        }
        with pytest.raises(oss2.exceptions.InvalidDigest) as info:
            bucket.put_object("bad-md5.txt", b"hello", headers=headers)
        assert info.value.status == 400
        assert not bucket.object_exists("bad-md5.txt")
        assert receiver.requests == []
        assert oss_emulator.callbacks == []

    def test_failed_complete_sends_nothing(
        self, bucket: oss2.Bucket, receiver: CallbackReceiver, oss_emulator: EmulatorServer
    ) -> None:
        """A Complete naming a part that does not match: 400 InvalidPart, no object, no callback."""
        upload_id = bucket.init_multipart_upload("bad-part.bin").upload_id
        bucket.upload_part("bad-part.bin", upload_id, 1, b"part")
        headers = {"x-oss-callback": b64({"callbackUrl": receiver.url(), "callbackBody": "a=b"})}
        with pytest.raises(oss2.exceptions.OssError) as info:
            bucket.complete_multipart_upload(
                "bad-part.bin", upload_id, [oss2.models.PartInfo(1, "0" * 32)], headers=headers
            )
        assert (info.value.status, info.value.code) == (400, "InvalidPart")
        assert not bucket.object_exists("bad-part.bin")
        assert receiver.requests == []
        assert oss_emulator.callbacks == []
