"""The OPERATIONS table and the two addressing styles (rest-api.md §1.3, R1)."""

from __future__ import annotations

import pytest

from emulator import errors
from emulator.errors import InvalidBucketName
from emulator.handlers import HANDLERS
from emulator.routing import Operation, Resolved, resolve, virtual_host_bucket


class TestTable:
    """Every operation has exactly one handler."""

    def test_every_operation_has_a_handler(self) -> None:
        """HANDLERS covers the Operation enum."""
        assert set(HANDLERS) == set(Operation)


class TestVirtualHost:
    """<bucket>.<base> is virtual-host addressing for the known bases only."""

    @pytest.mark.parametrize(
        ("host", "bucket"),
        [
            ("bk1.localhost:9050", "bk1"),
            ("my-bucket.oss-cn-hangzhou.aliyuncs.com", "my-bucket"),
            ("my-bucket.oss-cn-hangzhou-internal.aliyuncs.com", "my-bucket"),
            ("my-bucket.cn-hangzhou.aliyuncs.com", "my-bucket"),
            ("127.0.0.1:9050", None),
            ("localhost:9050", None),
            ("oss-cn-hangzhou.aliyuncs.com", None),
            ("gosspublic.alicdn.com", None),
            ("UPPER.localhost", "upper"),
        ],
    )
    def test_bases(self, host: str, bucket: str | None) -> None:
        """The bucket label is recognised only under a known base."""
        assert virtual_host_bucket(host) == bucket

    def test_configured_base(self) -> None:
        """A configured base makes <bucket>.<base> virtual host."""
        assert virtual_host_bucket("bk1.emulator:9050", ["emulator"]) == "bk1"


class TestResolve:
    """Operation, bucket and key from method, host, path and query."""

    def test_path_style_object_with_encoded_slash(self) -> None:
        """oss2's %2F in keys decodes to /, and + stays +."""
        assert resolve("PUT", "127.0.0.1:1", "/bk1/dir%2Fa%20b+c.txt", []) == [
            Resolved(Operation.PUT_OBJECT, "bk1", "dir/a b+c.txt")
        ]

    def test_service_and_bucket(self) -> None:
        """/ is the service; /b and /b/ are the bucket."""
        assert resolve("GET", "h", "/", [])[0].operation is Operation.LIST_BUCKETS
        assert resolve("GET", "h", "/bk1", [])[0] == Resolved(Operation.LIST_OBJECTS, "bk1", None)
        assert (
            resolve("GET", "h", "/bk1/", [("list-type", "2")])[0].operation
            is Operation.LIST_OBJECTS_V2
        )

    def test_sub_resources_select_operations(self) -> None:
        """?uploads, ?uploadId, ?append, ?objectMeta and the copy header pick operations."""
        assert (
            resolve("POST", "h", "/bk1/k", [("uploads", "")])[0].operation
            is Operation.INITIATE_MULTIPART_UPLOAD
        )
        assert (
            resolve("PUT", "h", "/bk1/k", [("partNumber", "1"), ("uploadId", "X")])[0].operation
            is Operation.UPLOAD_PART
        )
        assert (
            resolve("POST", "h", "/bk1/k", [("uploadId", "X")])[0].operation
            is Operation.COMPLETE_MULTIPART_UPLOAD
        )
        assert (
            resolve("POST", "h", "/bk1/k", [("append", ""), ("position", "0")])[0].operation
            is Operation.APPEND_OBJECT
        )
        assert (
            resolve("HEAD", "h", "/bk1/k", [("objectMeta", "")])[0].operation
            is Operation.GET_OBJECT_META
        )
        assert (
            resolve("PUT", "h", "/bk1/k", [], has_copy_source=True)[0].operation
            is Operation.COPY_OBJECT
        )

    def test_virtual_host_gets_a_second_reading_for_its_own_bucket(self) -> None:
        """ali-oss Node with IP endpoint and sldEnable: both readings, virtual host first."""
        readings = resolve("GET", "bk1.oss-cn-hangzhou.aliyuncs.com", "/bk1/k", [])
        assert readings == [
            Resolved(Operation.GET_OBJECT, "bk1", "bk1/k"),
            Resolved(Operation.GET_OBJECT, "bk1", "k"),
        ]

    def test_reading_without_an_operation_is_dropped(self) -> None:
        """/b/?list-type=2 on b's virtual host: only the path-style bucket reading remains."""
        readings = resolve("GET", "bk1.oss-cn-hangzhou.aliyuncs.com", "/bk1/", [("list-type", "2")])
        assert readings == [Resolved(Operation.LIST_OBJECTS_V2, "bk1", None)]

    def test_unknown_sub_resource_is_not_implemented(self) -> None:
        """An OSS sub-resource the emulator lacks is a 501, not a wrong answer."""
        with pytest.raises(errors.NotImplemented):
            resolve("GET", "h", "/bk1/", [("lifecycle", "")])
        with pytest.raises(errors.NotImplemented):
            resolve("PATCH", "h", "/bk1/k", [])

    def test_bad_bucket_name(self) -> None:
        """A path-style bucket that cannot exist is InvalidBucketName."""
        with pytest.raises(InvalidBucketName):
            resolve("GET", "h", "/Bad_Bucket/k", [])
