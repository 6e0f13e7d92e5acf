"""Raw HTTP against a live emulator: bad input gets a clear OSS error and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import socket
import xml.etree.ElementTree as ET

import httpx
import pytest

from emulator.server import EmulatorServer

B = "/open-bucket"


def error_code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Error"
    return root.findtext("Code") or ""


def assert_absent(http: httpx.Client, key: str) -> None:
    assert http.get(f"{B}/{key}").status_code == 404


class TestCommonHeaders:
    """Every response carries request id, Date and Server (rest-api.md §9.1)."""

    def test_headers_on_success_and_error(self, http: httpx.Client) -> None:
        """Success and error responses alike."""
        for response in (http.put(f"{B}/k", content=b"v"), http.get(f"{B}/missing")):
            assert len(response.headers["x-oss-request-id"]) == 24
            assert response.headers["x-oss-request-id"].isupper()
            assert response.headers["server"] == "AliyunOSS"
            assert response.headers["date"].endswith(" GMT")

    def test_error_shape(self, http: httpx.Client) -> None:
        """NoSuchKey has Code, Message, RequestId, HostId, Key, EC, RecommendDoc in order."""
        response = http.get(f"{B}/missing")
        assert response.status_code == 404
        root = ET.fromstring(response.content)
        assert [child.tag for child in root] == [
            "Code",
            "Message",
            "RequestId",
            "HostId",
            "Key",
            "EC",
            "RecommendDoc",
        ]
        assert root.findtext("Key") == "missing"
        assert response.headers["x-oss-ec"] == "0026-00000001"

    def test_head_error_in_x_oss_err(self, http: httpx.Client) -> None:
        """A HEAD error has no body; its XML is Base64 in x-oss-err."""
        response = http.head(f"{B}/missing")
        assert response.status_code == 404
        assert response.content == b""
        decoded = base64.b64decode(response.headers["x-oss-err"])
        assert b"<Code>NoSuchKey</Code>" in decoded


class TestBadInput:
    """Each malformed request is refused with its OSS error; nothing is stored."""

    def test_content_md5_mismatch(self, http: httpx.Client) -> None:
        """A wrong Content-MD5 is InvalidDigest and stores nothing."""
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        response = http.put(f"{B}/md5", content=b"body", headers={"Content-MD5": wrong})
        assert response.status_code == 400
        assert error_code(response) == "InvalidDigest"
        assert_absent(http, "md5")

    def test_content_md5_not_base64_of_16_bytes(self, http: httpx.Client) -> None:
        """A Content-MD5 that is not an MD5 at all is InvalidDigest too."""
        response = http.put(f"{B}/md5", content=b"body", headers={"Content-MD5": "abc"})
        assert error_code(response) == "InvalidDigest"
        assert_absent(http, "md5")

    def test_key_too_long(self, http: httpx.Client) -> None:
        """A key over 1023 bytes is refused; exactly 1023 is fine."""
        ok = "k" * 1023
        assert http.put(f"{B}/{ok}", content=b"x").status_code == 200
        response = http.put(f"{B}/{'k' * 1024}", content=b"x")
        assert response.status_code == 400
        assert error_code(response) in ("InvalidObjectName", "KeyTooLong")

    def test_invalid_bucket_name(self, http: httpx.Client) -> None:
        """A bucket name OSS cannot have is InvalidBucketName."""
        response = http.put("/Bad_Bucket/")
        assert response.status_code == 400
        assert error_code(response) == "InvalidBucketName"

    def test_missing_bucket(self, http: httpx.Client) -> None:
        """A bucket that does not exist is NoSuchBucket, and the body is not stored."""
        response = http.put("/no-such-bucket/k", content=b"x")
        assert response.status_code == 404
        assert error_code(response) == "NoSuchBucket"

    def test_malformed_xml(self, http: httpx.Client) -> None:
        """Complete, Delete and CORS bodies that are not XML are MalformedXML."""
        upload = http.post(f"{B}/mp?uploads")
        upload_id = ET.fromstring(upload.content).findtext("UploadId")
        for method, url in (
            ("POST", f"{B}/mp?uploadId={upload_id}"),
            ("POST", f"{B}/?delete"),
            ("PUT", f"{B}/?cors"),
        ):
            response = http.request(method, url, content=b"<not-closed")
            assert response.status_code == 400, url
            assert error_code(response) == "MalformedXML"
        assert_absent(http, "mp")

    def test_unknown_operation_not_implemented(self, http: httpx.Client) -> None:
        """An OSS operation the emulator lacks is 501 NotImplemented."""
        response = http.get(f"{B}/?lifecycle")
        assert response.status_code == 501
        assert error_code(response) == "NotImplemented"

    def test_body_cut_off_mid_stream(self, open_server: EmulatorServer, http: httpx.Client) -> None:
        """A client that sends half its declared body leaves no object behind."""
        with socket.create_connection(("127.0.0.1", open_server.port), timeout=10) as sock:
            sock.sendall(
                b"PUT /open-bucket/cut HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Length: 100000\r\n\r\n" + b"x" * 5000
            )
            sock.shutdown(socket.SHUT_WR)
            sock.recv(65536)
        assert_absent(http, "cut")


class TestObjectsOverHttp:
    """Ranges, overrides and conditionals as rest-api.md §9.5-§9.7 describe."""

    def test_ranges_both_behaviours(self, http: httpx.Client) -> None:
        """Invalid ranges are ignored by default and 416 in standard mode; 206 has no CRC."""
        http.put(f"{B}/r", content=b"0123456789")
        part = http.get(f"{B}/r", headers={"Range": "bytes=2-4"})
        assert (part.status_code, part.content) == (206, b"234")
        assert part.headers["content-range"] == "bytes 2-4/10"
        assert "x-oss-hash-crc64ecma" not in part.headers
        whole = http.get(f"{B}/r", headers={"Range": "bytes=20-30"})
        assert (whole.status_code, whole.content) == (200, b"0123456789")
        assert "x-oss-hash-crc64ecma" in whole.headers
        refused = http.get(
            f"{B}/r", headers={"Range": "bytes=20-30", "x-oss-range-behavior": "standard"}
        )
        assert refused.status_code == 416
        clipped = http.get(
            f"{B}/r", headers={"Range": "bytes=8-30", "x-oss-range-behavior": "standard"}
        )
        assert (clipped.status_code, clipped.content) == (206, b"89")

    def test_response_overrides(self, http: httpx.Client) -> None:
        """response-* query parameters override the returned headers."""
        http.put(f"{B}/o.txt", content=b"x")
        response = http.get(
            f"{B}/o.txt?response-content-type=application/json"
            "&response-content-disposition=attachment"
        )
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-disposition"] == "attachment"

    def test_content_type_by_extension(self, http: httpx.Client) -> None:
        """Without Content-Type the key's extension decides, else octet-stream."""
        http.put(f"{B}/pic.png", content=b"x", headers={"Content-Type": ""})
        http.put(f"{B}/blob", content=b"x")
        assert http.head(f"{B}/pic.png").headers["content-type"] == "image/png"
        assert http.head(f"{B}/blob").headers["content-type"] == "application/octet-stream"

    def test_etag_and_crc(self, http: httpx.Client) -> None:
        """ETag is quoted upper-case MD5; CRC-64 is decimal (R2, R3)."""
        response = http.put(f"{B}/hw", content=b"hello world")
        assert response.headers["etag"] == '"5EB63BBBE01EEED093CB22BB8F5ACDC3"'
        assert response.headers["x-oss-hash-crc64ecma"] == "5981764153023615706"

    def test_request_ids_reproducible_from_seed(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """Two servers with the same seed give the same request IDs in the same order."""
        from emulator.config import Settings

        seen = []
        for run in range(2):
            settings = Settings(port=0, data_dir=tmp_path / str(run), auth=False, seed=42)
            with EmulatorServer(settings) as server:
                seen.append(
                    [
                        httpx.get(f"{server.endpoint}/_emulator/health").headers["x-oss-request-id"]
                        for _ in range(3)
                    ]
                )
        assert seen[0] == seen[1]
        assert len(set(seen[0])) == 3


class TestControl:
    """Control endpoints answer only on hosts that name no bucket (S2)."""

    def test_health(self, http: httpx.Client) -> None:
        """GET /_emulator/health is 200 with the buckets."""
        response = http.get("/_emulator/health")
        assert response.status_code == 200
        assert response.json()["buckets"] == ["open-bucket"]

    def test_virtual_host_path_is_a_key(self, http: httpx.Client) -> None:
        """On a bucket's virtual host, /_emulator/health is an object key."""
        host = {"Host": "open-bucket.localhost"}
        assert http.put("/_emulator/health", content=b"obj", headers=host).status_code == 200
        assert http.get("/_emulator/health", headers=host).content == b"obj"


class TestCors:
    """Preflights before authentication; exposed headers on actual responses (R8)."""

    def test_default_preflight_and_exposure(self, http: httpx.Client) -> None:
        """Without rules every origin is allowed and every header exposed."""
        preflight = http.options(
            f"{B}/k",
            headers={
                "Origin": "http://app.local",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "authorization,x-oss-date,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://app.local"
        assert "PUT" in preflight.headers["access-control-allow-methods"]
        actual = http.put(f"{B}/k", content=b"x", headers={"Origin": "http://app.local"})
        exposed = actual.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed
        assert "x-oss-request-id" in exposed

    def test_rules_evaluated(self, http: httpx.Client) -> None:
        """With rules, a non-matching origin's preflight is 403 AccessForbidden."""
        rules = (
            b"<CORSConfiguration><CORSRule><AllowedOrigin>https://ok.example</AllowedOrigin>"
            b"<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader>"
            b"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds>"
            b"</CORSRule></CORSConfiguration>"
        )
        assert http.put(f"{B}/?cors", content=rules).status_code == 200
        ok = http.options(
            f"{B}/k",
            headers={"Origin": "https://ok.example", "Access-Control-Request-Method": "GET"},
        )
        assert ok.status_code == 200
        refused = http.options(
            f"{B}/k",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert refused.status_code == 403
        assert error_code(refused) == "AccessForbidden"
        missing = http.options(f"{B}/k", headers={"Access-Control-Request-Method": "GET"})
        assert missing.status_code == 400

    @pytest.mark.parametrize("vary", [True, False])
    def test_response_vary_on_every_response(self, http: httpx.Client, vary: bool) -> None:
        """ResponseVary true: Vary: Origin on every response of the bucket, with or without
        Origin; false (the default): never (rest-api.md §12.2)."""
        rules = (
            b"<CORSConfiguration><CORSRule><AllowedOrigin>https://ok.example</AllowedOrigin>"
            b"<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
            b"</CORSRule><ResponseVary>" + str(vary).lower().encode() + b"</ResponseVary>"
            b"</CORSConfiguration>"
        )
        assert http.put(f"{B}/?cors", content=rules).status_code == 200
        try:
            answers = [
                http.put(f"{B}/vary", content=b"x"),
                http.get(f"{B}/vary"),
                http.get(f"{B}/vary", headers={"Origin": "https://ok.example"}),
                http.get(f"{B}/vary", headers={"Origin": "https://other.example"}),
                http.get(f"{B}/missing"),
            ]
            for answer in answers:
                assert ("Origin" in answer.headers.get_list("vary")) is vary, answer.headers
        finally:
            assert http.delete(f"{B}/?cors").status_code == 204

    def test_rules_stored_by_a_laxer_version(
        self, http: httpx.Client, open_server: EmulatorServer
    ) -> None:
        """Rules PutBucketCors would now refuse (an ExposeHeader that is no header name),
        already in a data directory, are ignored: the bucket keeps answering, never a 500."""
        laxer = (
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
            "<AllowedMethod>GET</AllowedMethod><ExposeHeader>a b</ExposeHeader>"
            "</CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>"
        )
        open_server.storage.set_bucket_cors("open-bucket", laxer)
        put = http.put(f"{B}/laxer", content=b"x")
        get = http.get(f"{B}/laxer", headers={"Origin": "http://app.local"})
        assert (put.status_code, get.status_code, get.content) == (200, 200, b"x")


@pytest.mark.parametrize("path", ["/_emulator/nothing"])
def test_unknown_control_path_is_404(http: httpx.Client, path: str) -> None:
    """An unknown control path is a 404 listing the real ones."""
    response = http.get(path)
    assert response.status_code == 404
    assert "/_emulator/health" in response.json()["endpoints"]
