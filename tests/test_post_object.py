"""PostObject over HTTP: forms signed the way Alibaba's app-server samples sign them.

The app-server side of "server-side signature, direct upload" computes
``policy = base64(json)`` and ``Signature = base64(hmac_sha1(secret, policy))`` (V1) or the
V4 form fields, and hands them to the page; here the test plays that app server and posts
the form with httpx exactly as a browser's FormData would (fields, then ``file`` last).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from emulator.errors import NoSuchKey
from emulator.receiver import CallbackReceiver, Reply
from emulator.server import EmulatorServer

pytestmark = pytest.mark.sdk


# OSS refuses a policy with no condition at all (EC 0006-00000215): give each one a harmless one.
ANY_SIZE: list[Any] = [["content-length-range", 0, 10 * 1024 * 1024]]


def policy_b64(conditions: list[Any], expires_in: float = 3600) -> str:
    expiration = datetime.now(UTC) + timedelta(seconds=expires_in)
    document = {
        "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "conditions": conditions,
    }
    return base64.b64encode(json.dumps(document).encode()).decode()


def v1_fields(server: EmulatorServer, policy: str, secret: str | None = None) -> dict[str, str]:
    signature = hmac.new(
        (secret or server.access_key_secret).encode(), policy.encode(), hashlib.sha1
    ).digest()
    return {
        "OSSAccessKeyId": server.access_key_id,
        "policy": policy,
        "Signature": base64.b64encode(signature).decode(),
    }


def v4_fields(server: EmulatorServer, conditions: list[Any]) -> dict[str, str]:
    now = datetime.now(UTC)
    date = now.strftime("%Y%m%d")
    credential = f"{server.access_key_id}/{date}/{server.region}/oss/aliyun_v4_request"
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    conditions = [
        *conditions,
        {"x-oss-signature-version": "OSS4-HMAC-SHA256"},
        {"x-oss-credential": credential},
        {"x-oss-date": stamp},
    ]
    policy = policy_b64(conditions)
    key = ("aliyun_v4" + server.access_key_secret).encode()
    for part in (date, server.region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    return {
        "x-oss-signature-version": "OSS4-HMAC-SHA256",
        "x-oss-credential": credential,
        "x-oss-date": stamp,
        "policy": policy,
        "x-oss-signature": signature,
    }


def post(
    server: EmulatorServer,
    fields: dict[str, str],
    content: bytes = b"file body",
    filename: str = "photo.png",
    **kwargs: Any,
) -> httpx.Response:
    url = f"{server.endpoint}/{server.bucket}/"
    files = {"file": (filename, content, "image/png")}
    return httpx.post(url, data=fields, files=files, timeout=30, **kwargs)


def get(server: EmulatorServer, key: str) -> httpx.Response:
    """Read back with signature checking out of the way: a presigned-free path via storage."""
    meta = server.storage.head_object(server.bucket, key)
    return httpx.Response(
        200,
        content=b"".join(server.storage.read_object(meta)),
        headers={"content-type": meta.attrs.content_type},
    )


def code_and_message(response: httpx.Response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    return root.findtext("Code") or "", root.findtext("Message") or ""


def assert_absent(server: EmulatorServer, key: str) -> None:
    assert key not in [o.key for o in server.storage.list_objects(server.bucket).objects]


class TestSignedForms:
    """V1 and V4 forms store the file; the answer follows success_action_*."""

    def test_v1_default_204(self, oss_emulator: EmulatorServer) -> None:
        """A V1 form with a policy stores the file and answers 204 with ETag and CRC."""
        policy = policy_b64([{"bucket": oss_emulator.bucket}, ["starts-with", "$key", "user/"]])
        fields = {
            "key": "user/${filename}",
            **v1_fields(oss_emulator, policy),
            "x-oss-meta-owner": "eric",
            "Content-Type": "image/png",
        }
        response = post(oss_emulator, fields)
        assert response.status_code == 204, response.text
        assert response.headers["etag"] == '"' + hashlib.md5(b"file body").hexdigest().upper() + '"'
        assert "x-oss-hash-crc64ecma" in response.headers
        stored = get(oss_emulator, "user/photo.png")
        assert stored.content == b"file body"
        meta = oss_emulator.storage.head_object(oss_emulator.bucket, "user/photo.png")
        assert meta.attrs.content_type == "image/png"
        assert ("x-oss-meta-owner", "eric") in meta.attrs.user_meta

    def test_v4_form(self, oss_emulator: EmulatorServer) -> None:
        """A V4 form (credential, date, signature in fields and policy) works."""
        fields = {"key": "v4.txt", **v4_fields(oss_emulator, [{"bucket": oss_emulator.bucket}])}
        response = post(oss_emulator, fields)
        assert response.status_code == 204, response.text
        assert get(oss_emulator, "v4.txt").content == b"file body"

    @pytest.mark.parametrize(("status", "expected"), [("200", 200), ("201", 201), ("204", 204)])
    def test_success_action_status(
        self, oss_emulator: EmulatorServer, status: str, expected: int
    ) -> None:
        """200 empty, 201 with PostResponse XML, 204 empty."""
        policy = policy_b64([["eq", "$success_action_status", status]])
        fields = {
            "key": "s.txt",
            "success_action_status": status,
            **v1_fields(oss_emulator, policy),
        }
        response = post(oss_emulator, fields)
        assert response.status_code == expected, response.text
        if expected == 201:
            root = ET.fromstring(response.content)
            assert (root.tag, root.findtext("Key"), root.findtext("Bucket")) == (
                "PostResponse",
                "s.txt",
                oss_emulator.bucket,
            )
        else:
            assert response.content == b""

    def test_success_action_redirect(self, oss_emulator: EmulatorServer) -> None:
        """303 to the URL with bucket, key and etag (G7)."""
        fields = {
            "key": "r.txt",
            "success_action_redirect": "http://app.local/done",
            **v1_fields(oss_emulator, policy_b64(ANY_SIZE)),
        }
        response = post(oss_emulator, fields)
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith(f"http://app.local/done?bucket={oss_emulator.bucket}&key=r.txt")

    def test_fields_after_file_are_ignored(self, oss_emulator: EmulatorServer) -> None:
        """A key field sent after the file does not count (§8.1)."""
        fields = v1_fields(oss_emulator, policy_b64(ANY_SIZE))
        boundary = "XyZboundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in {"key": "first.txt", **fields}.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
        )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n'
            f"second.txt\r\n--{boundary}--\r\n"
        )
        response = httpx.post(
            f"{oss_emulator.endpoint}/{oss_emulator.bucket}/",
            content="".join(parts).encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 204, response.text
        assert get(oss_emulator, "first.txt").content == b"hello"
        assert_absent(oss_emulator, "second.txt")


class TestRefusals:
    """Every policy violation and form error is refused; nothing is stored."""

    @pytest.mark.parametrize(
        ("conditions", "fields", "needle"),
        [
            ([["content-length-range", 1, 5]], {}, '["content-length-range"'),
            ([["starts-with", "$key", "user/"]], {}, '["starts-with", "$key", "user/"]'),
            (
                [["eq", "$x-oss-meta-owner", "eric"]],
                {"x-oss-meta-owner": "mallory"},
                "x-oss-meta-owner",
            ),
            ([{"bucket": "other-bucket"}], {}, "bucket"),
            ([["in", "$content-type", ["image/jpg"]]], {"Content-Type": "image/png"}, '"in"'),
            ([["not-in", "$cache-control", ["no-cache"]]], {"Cache-Control": "no-cache"}, "not-in"),
        ],
    )
    def test_condition_failures(
        self,
        oss_emulator: EmulatorServer,
        conditions: list[Any],
        fields: dict[str, str],
        needle: str,
    ) -> None:
        """403 AccessDenied naming the failed condition."""
        form = {"key": "bad.txt", **fields, **v1_fields(oss_emulator, policy_b64(conditions))}
        response = post(oss_emulator, form)
        assert response.status_code == 403, response.text
        code, message = code_and_message(response)
        assert code == "AccessDenied"
        assert message.startswith("Invalid according to Policy: Policy Condition failed: ")
        assert needle in message
        assert_absent(oss_emulator, "bad.txt")

    def test_expired_policy(self, oss_emulator: EmulatorServer) -> None:
        """A policy past its expiration is AccessDenied 'Policy expired.'."""
        form = {"key": "late.txt", **v1_fields(oss_emulator, policy_b64(ANY_SIZE, expires_in=-60))}
        response = post(oss_emulator, form)
        assert code_and_message(response) == (
            "AccessDenied",
            "Invalid according to Policy: Policy expired.",
        )
        assert_absent(oss_emulator, "late.txt")

    def test_wrong_signature(self, oss_emulator: EmulatorServer) -> None:
        """A signature made with another secret is SignatureDoesNotMatch."""
        form = {"key": "forged.txt", **v1_fields(oss_emulator, policy_b64(ANY_SIZE), secret="nope")}
        response = post(oss_emulator, form)
        assert response.status_code == 403
        assert code_and_message(response)[0] == "SignatureDoesNotMatch"
        assert_absent(oss_emulator, "forged.txt")

    def test_unknown_access_key(self, oss_emulator: EmulatorServer) -> None:
        """An unknown OSSAccessKeyId is InvalidAccessKeyId."""
        form = {"key": "who.txt", **v1_fields(oss_emulator, policy_b64(ANY_SIZE))}
        form["OSSAccessKeyId"] = "nobody"
        assert code_and_message(post(oss_emulator, form))[0] == "InvalidAccessKeyId"

    def test_missing_signature_field(self, oss_emulator: EmulatorServer) -> None:
        """OSSAccessKeyId and policy without Signature: 400 InvalidArgument."""
        form = {"key": "half.txt", **v1_fields(oss_emulator, policy_b64(ANY_SIZE))}
        del form["Signature"]
        response = post(oss_emulator, form)
        assert (response.status_code, code_and_message(response)[0]) == (400, "InvalidArgument")

    def test_anonymous_form(self, oss_emulator: EmulatorServer) -> None:
        """No signature fields at all: AccessDenied (R7)."""
        response = post(oss_emulator, {"key": "anon.txt"})
        assert (response.status_code, code_and_message(response)[0]) == (403, "AccessDenied")
        assert_absent(oss_emulator, "anon.txt")

    def test_not_a_form(self, oss_emulator: EmulatorServer) -> None:
        """A POST to the bucket that is not multipart/form-data is MalformedPOSTRequest."""
        response = httpx.post(
            f"{oss_emulator.endpoint}/{oss_emulator.bucket}/",
            content=b"x",
            headers={"Content-Type": "text/plain"},
        )
        assert (response.status_code, code_and_message(response)[0]) == (
            400,
            "MalformedPOSTRequest",
        )

    def test_missing_file(self, oss_emulator: EmulatorServer) -> None:
        """A form without a file part is refused with a 400."""
        fields = {"key": "nofile.txt", **v1_fields(oss_emulator, policy_b64(ANY_SIZE))}
        response = httpx.post(
            f"{oss_emulator.endpoint}/{oss_emulator.bucket}/",
            data=fields,
            files={"other": ("x", b"y")},
        )
        assert response.status_code == 400

    @pytest.mark.parametrize("declared", ["wrong", "not base64!"])
    def test_content_md5_field(self, oss_emulator: EmulatorServer, declared: str) -> None:
        """A Content-MD5 field that is not the file's MD5 is 400 InvalidDigest (§8.4) and
        nothing is stored; the right one is accepted and answered back."""
        policy = v1_fields(oss_emulator, policy_b64([["content-length-range", 0, 100]]))
        content = b"file body"
        if declared == "wrong":
            declared = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        refused = post(oss_emulator, {"key": "md5.txt", "Content-MD5": declared, **policy}, content)
        assert refused.status_code == 400, refused.text
        assert code_and_message(refused)[0] == "InvalidDigest"
        with pytest.raises(NoSuchKey):
            get(oss_emulator, "md5.txt")
        right = base64.b64encode(hashlib.md5(content).digest()).decode()
        accepted = post(oss_emulator, {"key": "md5.txt", "Content-MD5": right, **policy}, content)
        assert accepted.status_code == 204, accepted.text
        assert accepted.headers["content-md5"] == right

    def test_missing_key(self, oss_emulator: EmulatorServer) -> None:
        """A form without key is InvalidArgument with OSS's text."""
        response = post(oss_emulator, v1_fields(oss_emulator, policy_b64(ANY_SIZE)))
        code, message = code_and_message(response)
        assert (response.status_code, code) == (400, "InvalidArgument")
        assert "must contain the specified 'key'" in message

    def test_unreadable_policy(self, oss_emulator: EmulatorServer) -> None:
        """A policy that is not Base64 JSON is 400 InvalidPolicyDocument, once signed."""
        policy = base64.b64encode(b"not json").decode()
        response = post(oss_emulator, {"key": "p.txt", **v1_fields(oss_emulator, policy)})
        assert (response.status_code, code_and_message(response)[0]) == (
            400,
            "InvalidPolicyDocument",
        )
        assert_absent(oss_emulator, "p.txt")

    def test_field_value_too_long(self, oss_emulator: EmulatorServer) -> None:
        """Field values over 2 MB in all are FieldItemTooLong (§8.1)."""
        fields = {
            "key": "long.txt",
            "x-oss-meta-big": "x" * (2 * 1024 * 1024 + 1),
            **v1_fields(oss_emulator, policy_b64(ANY_SIZE)),
        }
        response = post(oss_emulator, fields)
        assert (response.status_code, code_and_message(response)[0]) == (400, "FieldItemTooLong")
        assert_absent(oss_emulator, "long.txt")

    def test_field_names_too_long(self, oss_emulator: EmulatorServer) -> None:
        """Field names over 8 KB in all are FieldItemTooLong (§8.1)."""
        fields = {f"x-oss-meta-{n:04d}-{'n' * 1000}": "v" for n in range(9)}
        fields = {"key": "names.txt", **fields, **v1_fields(oss_emulator, policy_b64(ANY_SIZE))}
        response = post(oss_emulator, fields)
        assert (response.status_code, code_and_message(response)[0]) == (400, "FieldItemTooLong")
        assert_absent(oss_emulator, "names.txt")

    def test_v4_form_with_a_tampered_date(self, oss_emulator: EmulatorServer) -> None:
        """A V4 form whose x-oss-date differs from the one its policy pins is refused."""
        fields = {"key": "v4bad.txt", **v4_fields(oss_emulator, ANY_SIZE)}
        fields["x-oss-date"] = fields["x-oss-date"][:-3] + "00Z"
        response = post(oss_emulator, fields)
        assert response.status_code == 403
        assert_absent(oss_emulator, "v4bad.txt")


class TestFormCallbacks:
    """The callback field with x: variables (C20): 200 with the app's body, or 203."""

    def test_callback_with_x_fields(self, oss_emulator: EmulatorServer) -> None:
        """x: fields expand; the app's JSON is the answer despite success_action_status."""
        with CallbackReceiver() as receiver:
            receiver.default_reply = Reply(body=b'{"uploaded":true}')
            callback = base64.b64encode(
                json.dumps(
                    {
                        "callbackUrl": receiver.url("/post-cb"),
                        "callbackBody": "object=${object}&size=${size}&uid=${x:uid}",
                    }
                ).encode()
            ).decode()
            policy = policy_b64([{"callback": callback}])
            fields = {
                "key": "cb/${filename}",
                "success_action_status": "204",
                "callback": callback,
                "x:uid": "42",
                **v1_fields(oss_emulator, policy),
            }
            response = post(oss_emulator, fields, content=b"12345", filename="a b.txt")
            assert response.status_code == 200, response.text
            assert response.json() == {"uploaded": True}
            (got,) = receiver.requests
            assert got.verified, got.verify_error
            assert got.body == b"object=cb%2Fa%20b.txt&size=5&uid=42"
        assert get(oss_emulator, "cb/a b.txt").content == b"12345"

    def test_callback_failure_is_203(self, oss_emulator: EmulatorServer) -> None:
        """A failing app server gives 203 CallbackFailed; the file is stored."""
        callback = base64.b64encode(
            json.dumps({"callbackUrl": "http://127.0.0.1:9/none", "callbackBody": "a=b"}).encode()
        ).decode()
        fields = {
            "key": "cbfail.txt",
            "callback": callback,
            **v1_fields(oss_emulator, policy_b64(ANY_SIZE)),
        }
        response = post(oss_emulator, fields)
        assert response.status_code == 203
        assert code_and_message(response)[0] == "CallbackFailed"
        assert get(oss_emulator, "cbfail.txt").content == b"file body"

    def test_mixed_carriers_refused(self, oss_emulator: EmulatorServer) -> None:
        """A callback field together with an x-oss-callback header: 400, EC 0007-00000027."""
        callback = base64.b64encode(
            json.dumps({"callbackUrl": "http://127.0.0.1:9/none", "callbackBody": "a=b"}).encode()
        ).decode()
        fields = {
            "key": "mixed.txt",
            "callback": callback,
            **v1_fields(oss_emulator, policy_b64(ANY_SIZE)),
        }
        response = post(oss_emulator, fields, headers={"x-oss-callback": callback})
        assert response.status_code == 400
        assert ET.fromstring(response.content).findtext("EC") == "0007-00000027"
        assert_absent(oss_emulator, "mixed.txt")

    @pytest.mark.parametrize("form", ["eq", "object"])
    def test_policy_pinned_callback(self, oss_emulator: EmulatorServer, form: str) -> None:
        """A policy pinning callback refuses a form carrying another one; the pinned one passes."""
        with CallbackReceiver() as receiver:
            pinned, other = (
                base64.b64encode(
                    json.dumps(
                        {"callbackUrl": receiver.url(path), "callbackBody": "o=${object}"}
                    ).encode()
                ).decode()
                for path in ("/pinned", "/other")
            )
            condition: Any = ["eq", "$callback", pinned] if form == "eq" else {"callback": pinned}
            signed = v1_fields(oss_emulator, policy_b64([condition]))

            refused = post(oss_emulator, {"key": "other.txt", "callback": other, **signed})
            assert refused.status_code == 403, refused.text
            code, message = code_and_message(refused)
            assert code == "AccessDenied"
            assert message == (
                "Invalid according to Policy: Policy Condition failed: "
                f'["eq", "$callback", "{pinned}"]'
            )
            assert_absent(oss_emulator, "other.txt")
            assert receiver.requests == []
            assert oss_emulator.callbacks == []

            accepted = post(oss_emulator, {"key": "pinned.txt", "callback": pinned, **signed})
            assert accepted.status_code == 200, accepted.text
            assert [r.path for r in receiver.requests] == ["/pinned"]
        assert get(oss_emulator, "pinned.txt").content == b"file body"


def test_cross_origin_form_post(oss_emulator: EmulatorServer) -> None:
    """The preflight and the actual response carry CORS headers for a page's origin."""
    origin = "http://app.local:3000"
    url = f"{oss_emulator.endpoint}/{oss_emulator.bucket}/"
    preflight = httpx.options(
        url, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    fields = {"key": "cors.txt", **v1_fields(oss_emulator, policy_b64(ANY_SIZE))}
    response = post(oss_emulator, fields, headers={"Origin": origin})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert "etag" in response.headers["access-control-expose-headers"].lower()


@pytest.mark.node
def test_ali_oss_signed_forms(oss_emulator: EmulatorServer) -> None:
    """Forms signed by ali-oss's calculatePostSignature and signPostObjectPolicyV4 upload."""
    from tests.node_support import ensure_ali_oss, run_script

    with CallbackReceiver() as receiver:
        callback = base64.b64encode(
            json.dumps(
                {
                    "callbackUrl": receiver.url("/from-node"),
                    "callbackBody": "object=${object}&from=${x:from}",
                }
            ).encode()
        ).decode()
        env = {
            **__import__("os").environ,
            "OSS_AK": oss_emulator.access_key_id,
            "OSS_SK": oss_emulator.access_key_secret,
            "OSS_BUCKET": oss_emulator.bucket,
            "OSS_REGION": oss_emulator.region,
            "OSS_ENDPOINT": oss_emulator.endpoint,
            "OSS_POST_URL": f"{oss_emulator.endpoint}/{oss_emulator.bucket}/",
            "OSS_CALLBACK": callback,
        }
        results = run_script(ensure_ali_oss(), "post_form.js", env)
        assert results["v1"]["status"] == 204, results
        assert results["v4"]["status"] == 200, results
        assert results["outsidePolicy"]["status"] == 403
        assert "starts-with" in results["outsidePolicy"]["body"]
        assert results["callback"] == {"status": 200, "body": '{"Status":"OK"}'}
        assert receiver.requests[0].body == b"object=ali-oss%2Fcb.txt&from=ali-oss"
    assert get(oss_emulator, "ali-oss/v1.txt").content == b"v1 form body"
    assert get(oss_emulator, "ali-oss/v4.txt").content == b"v4 form body"
    assert_absent(oss_emulator, "elsewhere/v1.txt")
