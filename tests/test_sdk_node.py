"""ali-oss (Node.js) against a live emulator, V1 and V4, both addressing styles."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from emulator.receiver import CallbackReceiver, Reply
from emulator.server import EmulatorServer
from tests.node_support import ensure_ali_oss, run_script

pytestmark = [pytest.mark.sdk, pytest.mark.node]


@pytest.fixture(name="node", scope="session")
def _node() -> str:
    return ensure_ali_oss()


STYLES = ("ip-host-override", "sld-path-style")
#: Bytes foundation.js uploads with putStream, chunk by chunk.
STREAMED = b"stream-one;stream-two;" + b"x" * 70000 + b";end"


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def _error(seen: dict[str, Any]) -> tuple[str, str, int]:
    return seen["name"], seen["code"], seen["status"]


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_foundation_operations(node: str, oss_emulator: EmulatorServer, v4: bool) -> None:
    """ali-oss's foundation operations work against the emulator, in both addressing styles.

    Objects (put/get/head/getObjectMeta/list/listV2/copy/append/multipartUpload, range and
    conditional GET, putStream, deleteMulti plain and quiet), unfinished multipart uploads
    (listParts/listUploads/abortMultipartUpload), buckets (listBuckets/putBucket/
    getBucketLocation/getBucketACL/CORS/deleteBucket) and presigned URLs (signatureUrl,
    signatureUrlV4) fetched without the SDK.
    """
    env = {
        **os.environ,
        "OSS_AK": oss_emulator.access_key_id,
        "OSS_SK": oss_emulator.access_key_secret,
        "OSS_BUCKET": oss_emulator.bucket,
        "OSS_REGION": oss_emulator.region,
        "OSS_ENDPOINT": oss_emulator.endpoint,
        "OSS_V4": "1" if v4 else "0",
    }
    results = run_script(node, "foundation.js", env)
    for style in STYLES:
        _check_objects(results[style], style)
        _check_uploads(results[style]["uploads"], style)
        _check_buckets(results[style]["buckets"], style, oss_emulator, "v4" if v4 else "v1")
        _check_presigned(results[style]["presigned"], style, oss_emulator)
        assert results[style]["bucketLocation"] == f"oss-{oss_emulator.region}"
    assert results["badSecret"] == "SignatureDoesNotMatch"


def _check_objects(seen: dict[str, Any], style: str) -> None:
    key = f"node/{style}/a b+c 你好.txt"
    assert seen["etag"] == _etag(b"hello from ali-oss")
    assert seen["missing"] == "NoSuchKeyError"

    reads = seen["reads"]
    whole = {"status": 200, "body": "0123456789"}
    not_modified = {"status": 304, "body": ""}
    assert reads["etag"] == _etag(b"0123456789")
    assert reads["range"] == {"status": 206, "body": "234", "contentRange": "bytes 2-4/10"}
    assert reads["ifNoneMatch"] == not_modified
    assert reads["ifNoneMatchOther"] == whole
    assert reads["ifModifiedSince"] == not_modified
    assert reads["ifModifiedSinceEarlier"] == whole
    assert reads["ifMatch"] == whole
    assert _error(reads["ifMatchOther"]) == ("PreconditionFailedError", "PreconditionFailed", 412)

    assert seen["stream"] == {
        "status": 200,
        "etag": _etag(STREAMED),
        "length": len(STREAMED),
        "md5": hashlib.md5(STREAMED).hexdigest(),
    }
    # deleteMulti lists each deleted key; quiet:true lists none; both really delete.
    assert seen["deleteMulti"] == {
        "status": 200,
        "keys": [f"{key}.copy", f"{key}.log", f"{key}.mp"],
    }
    assert seen["deleteMultiQuiet"] == {"status": 200, "deleted": []}
    assert seen["remaining"] == []


def _check_uploads(seen: dict[str, Any], style: str) -> None:
    name = f"node/{style}/unfinished.bin"
    upload_id = seen["uploadId"]
    part_etags = [_etag(b"\x01" * 102400), _etag(b"tail")]
    assert isinstance(upload_id, str) and upload_id
    assert seen["initName"] == name
    assert seen["partEtags"] == part_etags
    assert seen["parts"] == {
        "uploadId": upload_id,
        "name": name,
        "isTruncated": "false",
        "list": [
            {"number": "1", "size": "102400", "etag": part_etags[0]},
            {"number": "2", "size": "4", "etag": part_etags[1]},
        ],
    }
    assert seen["listed"] == [{"name": name, "uploadId": upload_id}]
    assert seen["abortStatus"] == 204
    assert seen["listedAfterAbort"] == []
    assert _error(seen["listPartsAfterAbort"]) == ("NoSuchUploadError", "NoSuchUpload", 404)


def _check_buckets(
    seen: dict[str, Any], style: str, emulator: EmulatorServer, version: str
) -> None:
    name = f"node-{version}-{style}"
    location = f"oss-{emulator.region}"
    configured = sorted(emulator.settings.buckets)
    assert seen["name"] == name
    assert sorted(seen["before"], key=lambda b: b["name"]) == [
        {"name": bucket, "region": location} for bucket in configured
    ]
    assert seen["created"] == {"status": 200, "bucket": name}
    assert sorted(seen["listed"]) == sorted([*configured, name])
    assert seen["location"] == location
    assert seen["acl"] == "private"
    assert seen["mainLocation"] == location
    assert seen["mainAcl"] == {"acl": "private", "owner": emulator.settings.owner_id}

    cors = seen["cors"]
    no_cors = ("NoSuchCORSConfigurationError", "NoSuchCORSConfiguration", 404)
    assert _error(cors["before"]) == no_cors
    assert cors["put"] == 200
    assert cors["rules"] == [
        {
            "allowedOrigin": ["https://a.example", "https://b.example"],
            "allowedMethod": ["GET", "PUT"],
            "allowedHeader": "*",
            "exposeHeader": ["ETag", "x-oss-request-id"],
            "maxAgeSeconds": "100",
        },
        {"allowedOrigin": "https://c.example", "allowedMethod": "HEAD"},
    ]
    assert cors["deleted"] == 204
    assert _error(cors["after"]) == no_cors

    assert seen["deleteStatus"] == 204
    assert sorted(seen["after"]) == configured
    assert _error(seen["gone"]) == ("NoSuchBucketError", "NoSuchBucket", 404)


def _check_presigned(seen: dict[str, Any], style: str, emulator: EmulatorServer) -> None:
    """signatureUrl/signatureUrlV4 per rest-api.md §1.1, each URL fetched by plain HTTP."""
    endpoint = urlsplit(emulator.endpoint)
    bucket = emulator.bucket
    path = "/" + quote(f"node/{style}/presigned 你好+1.txt")
    v1_query = {"OSSAccessKeyId", "Expires", "Signature"}
    v4_query = {
        "x-oss-credential",
        "x-oss-date",
        "x-oss-expires",
        "x-oss-signature-version",
        "x-oss-signature",
    }

    def url_parts(url: str) -> tuple[str, str, set[str]]:
        parts = urlsplit(url)
        return parts.netloc, parts.path, set(parse_qs(parts.query))

    # signatureUrl refuses an IP endpoint (§1.1).
    assert seen["v1Ip"]["message"] == "can not get the object URL when endpoint is IP"
    # signatureUrlV4 with the IP endpoint: path style works with sldEnable; without it the
    # URL carries no bucket (§1.1) and its first segment is read as one (§1.3).
    v4_ip = seen["v4Ip"]
    if style == "sld-path-style":
        assert url_parts(v4_ip["url"]) == (endpoint.netloc, f"/{bucket}{path}", v4_query)
        assert (v4_ip["status"], v4_ip["body"]) == (200, "presigned body")
    else:
        assert url_parts(v4_ip["url"]) == (endpoint.netloc, "/Misaddressed.txt", v4_query)
        assert (v4_ip["status"], v4_ip["code"]) == (400, "InvalidBucketName")

    # Through http://localhost:PORT: the bucket in the host name (<bucket>.localhost,
    # virtual host) without sldEnable, in the path with it.
    named = seen["named"]
    if style == "sld-path-style":
        netloc, prefix = f"localhost:{endpoint.port}", f"/{bucket}"
    else:
        netloc, prefix = f"{bucket}.localhost:{endpoint.port}", ""
    for url_kind, query in (("v1", v1_query), ("v4", v4_query)):
        got, put = named[f"{url_kind}Get"], named[f"{url_kind}Put"]
        assert url_parts(got["url"]) == (netloc, prefix + path, query)
        assert (got["status"], got["body"]) == (200, "presigned body")
        assert url_parts(put["url"]) == (netloc, f"{prefix}{path}.{url_kind}put", query)
        assert put["status"] == 200
        assert named[f"{url_kind}PutBack"] == f"put through a {url_kind.upper()} URL"
    assert (named["tampered"]["status"], named["tampered"]["code"]) == (
        403,
        "SignatureDoesNotMatch",
    )


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_callbacks(node: str, oss_emulator: EmulatorServer, v4: bool) -> None:
    """put and multipartUpload relay the app's JSON as data; a 203 throws CallbackFailedError."""
    with CallbackReceiver() as good, CallbackReceiver() as bad:
        good.default_reply = Reply(body=b'{"from":"app","ok":true}')
        bad.default_reply = Reply(status=500)
        env = {
            **os.environ,
            "OSS_AK": oss_emulator.access_key_id,
            "OSS_SK": oss_emulator.access_key_secret,
            "OSS_BUCKET": oss_emulator.bucket,
            "OSS_REGION": oss_emulator.region,
            "OSS_ENDPOINT": oss_emulator.endpoint,
            "OSS_V4": "1" if v4 else "0",
            "OSS_CALLBACK_URL": good.url("/cb"),
            "OSS_FAILING_URL": bad.url("/cb"),
        }
        results = run_script(node, "callback.js", env)
        assert results["data"] == {"from": "app", "ok": True}
        assert results["multipartData"] == {"from": "app", "ok": True}
        assert results["failure"] == {
            "name": "CallbackFailedError",
            "code": "CallbackFailed",
            "status": 203,
            "message": "Error status : 500.",
        }
        assert results["failedObjectContent"] == "stored anyway"
        assert all(request.verified for request in good.requests + bad.requests)
        first = good.requests[0]
        assert (
            first.body
            == (
                f"bucket={oss_emulator.bucket}&object=node-callback.txt&size=11&var1=value1"
            ).encode()
        )
        assert good.requests[1].json() == {"size": 250 * 1024}
