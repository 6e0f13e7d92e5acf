"""oss2 against a live emulator: every operation of the foundation, V1 and V4, STS tokens."""

from __future__ import annotations

from collections.abc import Iterator

import oss2
import pytest
import requests

from emulator.config import Settings
from emulator.server import EmulatorServer

pytestmark = pytest.mark.sdk

KEYS = [
    "plain.txt",
    "dir/a b+c.txt",
    "unicode/你好 мир.bin",
    "dots/../x",
    "double//slash",
    "trailing/",
    "percent%2Fliteral",
]


@pytest.fixture(name="bucket", params=["v1", "v4"])
def _bucket(request: pytest.FixtureRequest, oss_emulator: EmulatorServer) -> oss2.Bucket:
    auth_class = oss2.Auth if request.param == "v1" else oss2.AuthV4
    auth = auth_class(oss_emulator.access_key_id, oss_emulator.access_key_secret)
    return oss2.Bucket(auth, oss_emulator.endpoint, oss_emulator.bucket, region=oss_emulator.region)


class TestObjects:
    """Put, get, head, meta, copy, append and delete through oss2."""

    @pytest.mark.parametrize("key", KEYS)
    def test_put_get_round_trip(self, bucket: oss2.Bucket, key: str) -> None:
        """Any key OSS allows round-trips with its bytes, CRC-64 checked by oss2."""
        body = key.encode() * 3 + bytes(range(256))
        result = bucket.put_object(key, body, headers={"x-oss-meta-author": "alice"})
        assert result.status == 200
        checker = oss2.utils.Crc64()
        checker.update(body)
        assert result.crc == checker.crc
        got = bucket.get_object(key)
        assert got.read() == body
        assert got.headers["x-oss-meta-author"] == "alice"
        assert bucket.object_exists(key)
        assert [o.key for o in oss2.ObjectIterator(bucket, prefix=key)][0] == key

    def test_head_meta_and_content_type(self, bucket: oss2.Bucket) -> None:
        """HEAD returns the stored headers; GetObjectMeta the size and ETag."""
        bucket.put_object("page.html", b"<p>hi</p>", headers={"Cache-Control": "no-cache"})
        head = bucket.head_object("page.html")
        assert head.content_type == "text/html"
        assert head.content_length == 9
        assert head.headers["Cache-Control"] == "no-cache"
        meta = bucket.get_object_meta("page.html")
        assert meta.content_length == 9
        assert meta.etag == head.etag

    def test_ranges_and_conditionals(self, bucket: oss2.Bucket) -> None:
        """byte_range gives 206 slices; a stale If-Match is 412."""
        bucket.put_object("r.bin", b"0123456789")
        assert bucket.get_object("r.bin", byte_range=(2, 5)).read() == b"2345"
        assert bucket.get_object("r.bin", byte_range=(None, 3)).read() == b"789"
        with pytest.raises(oss2.exceptions.PreconditionFailed):
            bucket.get_object("r.bin", headers={"If-Match": '"0000"'})
        with pytest.raises(oss2.exceptions.NotModified):
            etag = bucket.head_object("r.bin").etag
            bucket.get_object("r.bin", headers={"If-None-Match": f'"{etag}"'})

    def test_missing_key_errors(self, bucket: oss2.Bucket) -> None:
        """NoSuchKey on GET; HEAD errors decode from x-oss-err; delete is idempotent."""
        with pytest.raises(oss2.exceptions.NoSuchKey) as info:
            bucket.get_object("nope")
        assert info.value.details["Key"] == "nope"
        with pytest.raises(oss2.exceptions.NotFound) as head_info:
            bucket.head_object("nope")
        assert head_info.value.code == "NoSuchKey"
        assert not bucket.object_exists("nope")
        assert bucket.delete_object("nope").status == 204

    def test_copy_and_append(self, bucket: oss2.Bucket) -> None:
        """CopyObject copies bytes and metadata; AppendObject grows an appendable object."""
        bucket.put_object("src", b"copy me", headers={"x-oss-meta-k": "v"})
        bucket.copy_object(bucket.bucket_name, "src", "dst")
        assert bucket.get_object("dst").read() == b"copy me"
        assert bucket.head_object("dst").headers["x-oss-meta-k"] == "v"
        first = bucket.append_object("log", 0, b"hello ")
        second = bucket.append_object("log", first.next_position, b"world")
        assert second.next_position == 11
        assert bucket.get_object("log").read() == b"hello world"
        with pytest.raises(oss2.exceptions.PositionNotEqualToLength):
            bucket.append_object("log", 3, b"x")

    def test_batch_delete(self, bucket: oss2.Bucket) -> None:
        """DeleteMultipleObjects removes the listed keys and reports them."""
        for key in ("a", "b", "c"):
            bucket.put_object(key, b"x")
        result = bucket.batch_delete_objects(["a", "b", "missing"])
        assert sorted(result.deleted_keys) == ["a", "b", "missing"]
        assert [o.key for o in oss2.ObjectIterator(bucket)] == ["c"]

    def test_resumable_upload_and_download(self, bucket: oss2.Bucket, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """oss2's resumable helpers (multipart + ranged GETs with If-Match) work end to end."""
        source = tmp_path / "big.bin"
        data = bytes(range(256)) * 2048  # 512 KiB
        source.write_bytes(data)
        oss2.resumable_upload(
            bucket,
            "big.bin",
            str(source),
            multipart_threshold=200 * 1024,
            part_size=100 * 1024,
            num_threads=2,
            store=oss2.ResumableStore(root=str(tmp_path)),
        )
        assert bucket.head_object("big.bin").headers["x-oss-object-type"] == "Multipart"
        target = tmp_path / "down.bin"
        oss2.resumable_download(
            bucket,
            "big.bin",
            str(target),
            multiget_threshold=200 * 1024,
            part_size=100 * 1024,
            num_threads=2,
            store=oss2.ResumableDownloadStore(root=str(tmp_path)),
        )
        assert target.read_bytes() == data


class TestListing:
    """ListObjects V1 and V2 with prefixes, delimiters and pages."""

    def test_delimiter_and_pages(self, bucket: oss2.Bucket) -> None:
        """Walking pages of two yields every key and common prefix once, in order."""
        keys = ["a/1", "a/2", "b", "c/d/e", "c/x", "d"]
        for key in keys:
            bucket.put_object(key, b"")
        v1 = list(oss2.ObjectIterator(bucket, delimiter="/", max_keys=2))
        assert [o.key for o in v1] == ["a/", "b", "c/", "d"]
        v2 = list(oss2.ObjectIteratorV2(bucket, delimiter="/", max_keys=2))
        assert [o.key for o in v2] == ["a/", "b", "c/", "d"]
        inside = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="c/", delimiter="/")]
        assert inside == ["c/d/", "c/x"]


class TestMultipart:
    """Initiate, parts, list, complete, abort."""

    def test_complete_and_list(self, bucket: oss2.Bucket) -> None:
        """A 2-part upload completes to the concatenation with a -2 ETag."""
        part1, part2 = b"a" * 102400, b"b" * 10
        upload_id = bucket.init_multipart_upload("mp").upload_id
        assert [u.upload_id for u in oss2.MultipartUploadIterator(bucket)] == [upload_id]
        r1 = bucket.upload_part("mp", upload_id, 1, part1)
        r2 = bucket.upload_part("mp", upload_id, 2, part2)
        parts = list(oss2.PartIterator(bucket, "mp", upload_id))
        assert [(p.part_number, p.size) for p in parts] == [(1, 102400), (2, 10)]
        result = bucket.complete_multipart_upload(
            "mp", upload_id, [oss2.models.PartInfo(1, r1.etag), oss2.models.PartInfo(2, r2.etag)]
        )
        assert result.etag.endswith("-2")
        assert bucket.get_object("mp").read() == part1 + part2

    def test_abort(self, bucket: oss2.Bucket) -> None:
        """An aborted upload is gone: NoSuchUpload afterwards."""
        upload_id = bucket.init_multipart_upload("gone").upload_id
        bucket.abort_multipart_upload("gone", upload_id)
        with pytest.raises(oss2.exceptions.NoSuchUpload):
            bucket.upload_part("gone", upload_id, 1, b"x")


class TestBuckets:
    """Service and bucket operations."""

    def test_create_info_list_delete(self, oss_emulator: EmulatorServer) -> None:
        """A bucket can be created, described, listed, refused deletion while full, deleted."""
        auth = oss2.Auth(oss_emulator.access_key_id, oss_emulator.access_key_secret)
        new = oss2.Bucket(auth, oss_emulator.endpoint, "made-here")
        new.create_bucket()
        info = new.get_bucket_info()
        assert info.name == "made-here"
        assert info.location == "oss-cn-hangzhou"
        assert new.get_bucket_location().location == "oss-cn-hangzhou"
        assert new.get_bucket_acl().acl == "private"
        service = oss2.Service(auth, oss_emulator.endpoint)
        assert {b.name for b in oss2.BucketIterator(service)} == {"made-here", oss_emulator.bucket}
        new.put_object("k", b"v")
        with pytest.raises(oss2.exceptions.BucketNotEmpty):
            new.delete_bucket()
        new.delete_object("k")
        new.delete_bucket()
        with pytest.raises(oss2.exceptions.NoSuchBucket):
            new.get_bucket_info()

    def test_cors_rules(self, bucket: oss2.Bucket) -> None:
        """PutBucketCors / GetBucketCors / DeleteBucketCors round-trip."""
        rule = oss2.models.CorsRule(
            allowed_origins=["https://app.example"],
            allowed_methods=["GET", "PUT"],
            allowed_headers=["*"],
            expose_headers=["ETag"],
            max_age_seconds=100,
        )
        bucket.put_bucket_cors(oss2.models.BucketCors([rule]))
        got = bucket.get_bucket_cors().rules[0]
        assert got.allowed_origins == ["https://app.example"]
        assert got.expose_headers == ["ETag"]
        bucket.delete_bucket_cors()
        with pytest.raises(oss2.exceptions.NoSuchCors):
            bucket.get_bucket_cors()


class TestAuth:
    """Signatures, presigned URLs, STS tokens."""

    def test_wrong_secret_shows_string_to_sign(self, oss_emulator: EmulatorServer) -> None:
        """A bad secret is SignatureDoesNotMatch carrying the server's StringToSign."""
        bad = oss2.Bucket(
            oss2.Auth(oss_emulator.access_key_id, "wrong"),
            oss_emulator.endpoint,
            oss_emulator.bucket,
        )
        with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as info:
            bad.put_object("k", b"v")
        assert info.value.details["StringToSign"].startswith("PUT\n")

    def test_unknown_key_id(self, oss_emulator: EmulatorServer) -> None:
        """An unknown AccessKeyId is InvalidAccessKeyId."""
        bad = oss2.Bucket(oss2.Auth("nobody", "x"), oss_emulator.endpoint, oss_emulator.bucket)
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bad.get_object("k")
        assert (info.value.status, info.value.code) == (403, "InvalidAccessKeyId")

    @pytest.mark.parametrize("slash_safe", [False, True])
    def test_presigned_urls(self, bucket: oss2.Bucket, slash_safe: bool) -> None:
        """Presigned PUT and GET work with plain HTTP; an expired URL is refused."""
        put_url = bucket.sign_url("PUT", "pre/signed.txt", 60, slash_safe=slash_safe)
        assert requests.put(put_url, data=b"presigned", timeout=10).status_code == 200
        get_url = bucket.sign_url("GET", "pre/signed.txt", 60, slash_safe=slash_safe)
        assert requests.get(get_url, timeout=10).content == b"presigned"
        expired = bucket.sign_url("GET", "pre/signed.txt", -10)
        response = requests.get(expired, timeout=10)
        assert response.status_code == 403
        assert b"<Code>AccessDenied</Code>" in response.content

    def test_anonymous_refused(self, oss_emulator: EmulatorServer) -> None:
        """An unsigned request is 403 AccessDenied."""
        response = requests.get(f"{oss_emulator.endpoint}/{oss_emulator.bucket}/k", timeout=10)
        assert response.status_code == 403
        assert b"<Code>AccessDenied</Code>" in response.content
        assert len(response.headers["x-oss-request-id"]) == 24


@pytest.fixture(name="sts_server", scope="module")
def _sts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """An emulator whose key pair is temporary: it needs the token."""
    settings = Settings(
        port=0,
        data_dir=tmp_path_factory.mktemp("sts"),
        access_key_id="STS.tmpkey",
        access_key_secret="tmpsecret",
        security_token="the-token",
    )
    with EmulatorServer(settings) as server:
        yield server


class TestStsToken:
    """A temporary key pair needs its token on every request."""

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_token_required(self, sts_server: EmulatorServer, version: str) -> None:
        """StsAuth with the token works; the same pair without it is refused."""
        kwargs = {"auth_version": "v4"} if version == "v4" else {}
        good = oss2.Bucket(
            oss2.StsAuth("STS.tmpkey", "tmpsecret", "the-token", **kwargs),
            sts_server.endpoint,
            sts_server.bucket,
            region="cn-hangzhou",
        )
        good.put_object("t", b"ok")
        assert good.get_object("t").read() == b"ok"
        url = good.sign_url("GET", "t", 60)
        assert requests.get(url, timeout=10).content == b"ok"
        auth_class = oss2.Auth if version == "v1" else oss2.AuthV4
        bad = oss2.Bucket(
            auth_class("STS.tmpkey", "tmpsecret"),
            sts_server.endpoint,
            sts_server.bucket,
            region="cn-hangzhou",
        )
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bad.get_object("t")
        assert info.value.code == "InvalidAccessKeyId"
        assert "security token" in info.value.message


def test_streamed_chunked_upload(bucket: oss2.Bucket) -> None:
    """An iterable body travels chunked and is stored whole."""
    chunks = [b"x" * 1000, b"y" * 5000, b"z"]
    bucket.put_object("chunked", iter(chunks))
    assert bucket.get_object("chunked").read() == b"".join(chunks)
    assert bucket.head_object("chunked").content_length == 6001
