"""Upload callbacks end to end: real SDKs upload, a real receiver verifies like Alibaba's sample.

Every test checks three things: what the application server received (and that its
signature verified the way the official sample server verifies), what the uploader got back
(200 with the app's body, or 203 CallbackFailed), and that the object is stored.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs

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
