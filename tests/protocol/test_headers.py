"""Tests for emulator.protocol.headers: dates, ranges, conditions, object metadata."""

from __future__ import annotations

import base64
import math

import oss2.models
import oss2.utils
import pytest
from alibabacloud_oss_v2 import models as v2_models
from alibabacloud_oss_v2 import serde
from alibabacloud_oss_v2.types import OperationOutput
from hypothesis import given
from hypothesis import strategies as st
from oss2.http import CaseInsensitiveDict

from emulator.errors import InvalidArgument, InvalidRange, OSSError, PreconditionFailed
from emulator.protocol import headers as H
from emulator.storage.base import ObjectAttrs, ObjectMeta

T0 = 1764100602.0  # Tue, 25 Nov 2025 19:56:42 GMT
ETAG = '"5EB63BBBE01EEED093CB22BB8F5ACDC3"'
timestamps = st.floats(min_value=0, max_value=253402300799, allow_nan=False)


def _meta(object_type: str = "Normal", **attrs: object) -> ObjectMeta:
    return ObjectMeta(
        bucket="b",
        key="k.txt",
        size=11,
        etag=ETAG,
        crc64=11051210869376104954,
        md5=bytes(range(16)) if object_type == "Normal" else None,
        last_modified=T0,
        object_type=object_type,  # type: ignore[arg-type]
        attrs=ObjectAttrs(**attrs),  # type: ignore[arg-type]
    )


class TestDates:
    """http_date, parse_http_date and iso8601 (R5)."""

    def test_example(self) -> None:
        """The documented shape with a two-digit day."""
        assert H.http_date(T0) == "Tue, 25 Nov 2025 19:56:42 GMT"
        assert H.http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
        assert H.iso8601(T0 + 0.9) == "2025-11-25T19:56:42.000Z"

    @given(timestamps)
    def test_http_date_matches_oss2(self, ts: float) -> None:
        """oss2's strict _HTTP_GMT_RE accepts it and http_to_unixtime reads the second back."""
        text = H.http_date(ts)
        assert oss2.utils._HTTP_GMT_RE.match(text)
        assert oss2.utils.http_to_unixtime(text) == math.floor(ts)
        assert H.parse_http_date(text) == math.floor(ts)

    @given(timestamps)
    def test_iso8601_matches_oss2(self, ts: float) -> None:
        """oss2's _ISO8601_RE accepts it and reads the second back."""
        text = H.iso8601(ts)
        assert oss2.utils._ISO8601_RE.match(text)
        assert oss2.utils.iso8601_to_unixtime(text) == math.floor(ts)

    @pytest.mark.parametrize(
        "text",
        [
            "Tuesday, 25-Nov-25 19:56:42 GMT",
            "Tue Nov 25 19:56:42 2025",
            "Tue, 25 Nov 2025 19:56:42 +0000",
        ],
    )
    def test_parse_other_forms(self, text: str) -> None:
        """RFC 850 and asctime forms are read too."""
        assert H.parse_http_date(text) == T0

    @pytest.mark.parametrize("text", ["", "yesterday", "Tue, 99 Nov 2025 19:56:42 GMT", "\x00"])
    def test_parse_invalid(self, text: str) -> None:
        """Garbage is None, not an exception."""
        assert H.parse_http_date(text) is None

    @given(st.text())
    def test_parse_total(self, text: str) -> None:
        """parse_http_date never raises."""
        result = H.parse_http_date(text)
        assert result is None or isinstance(result, float)


class TestParseRange:
    """parse_range in the default and the standard behaviour (§9.6)."""

    @pytest.mark.parametrize(
        ("header", "size", "default", "standard"),
        [
            (None, 1000, None, None),
            ("bytes=0-499", 1000, (0, 500), (0, 500)),
            ("bytes=500-999", 1000, (500, 1000), (500, 1000)),
            ("bytes=-500", 1000, (500, 1000), (500, 1000)),
            ("bytes=500-", 1000, (500, 1000), (500, 1000)),
            ("bytes=0-", 1000, (0, 1000), (0, 1000)),
            ("bytes=0-0", 1000, (0, 1), (0, 1)),
            ("bytes=999-999", 1000, (999, 1000), (999, 1000)),
            ("bytes=500-2000", 1000, None, (500, 1000)),
            ("bytes=0-1000", 1000, None, (0, 1000)),
            ("bytes=1000-2000", 1000, None, InvalidRange),
            ("bytes=1000-", 1000, None, InvalidRange),
            ("bytes=-2000", 1000, None, (0, 1000)),
            ("bytes=-1000", 1000, (0, 1000), (0, 1000)),
            ("bytes=-0", 1000, None, InvalidRange),
            ("bytes=0-499,500-999", 1000, (0, 500), InvalidRange),
            ("bytes=1000-1001,0-1", 1000, None, InvalidRange),
            ("byte=0-499", 1000, None, None),
            ("bytes=abc", 1000, None, None),
            ("bytes=5-3", 1000, None, None),
            ("bytes=-", 1000, None, None),
            ("bytes=", 1000, None, None),
            ("", 1000, None, None),
            ("bytes=+1-2", 1000, None, None),
            ("BYTES = 1-2", 1000, (1, 3), (1, 3)),
            ("bytes=" + "9" * 5000 + "-", 1000, None, InvalidRange),
            ("bytes=0-" + "9" * 5000, 1000, None, (0, 1000)),
            ("bytes=0-0", 0, None, InvalidRange),
            ("bytes=0-", 0, None, InvalidRange),
            ("bytes=-1", 0, None, InvalidRange),
            ("bytes=-1", 1, (0, 1), (0, 1)),
        ],
    )
    def test_table(
        self,
        header: str | None,
        size: int,
        default: tuple[int, int] | None,
        standard: tuple[int, int] | type[OSSError] | None,
    ) -> None:
        """Each header resolves as the OSS range documentation describes."""
        assert H.parse_range(header, size, standard=False) == default
        if isinstance(standard, type):
            with pytest.raises(standard):
                H.parse_range(header, size, standard=True)
        else:
            assert H.parse_range(header, size, standard=True) == standard

    @given(st.text(max_size=40), st.integers(0, 10**6), st.booleans())
    def test_total(self, header: str, size: int, standard: bool) -> None:
        """Any header gives None, a range inside the object, or InvalidRange."""
        try:
            result = H.parse_range(header, size, standard=standard)
        except InvalidRange:
            assert standard
            return
        if result is not None:
            start, end = result
            assert 0 <= start < end <= size


class TestConditions:
    """evaluate_conditions follows the RFC 9110 order (§9.7)."""

    def _eval(self, **headers: str) -> int | None:
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        return H.evaluate_conditions(named, etag=ETAG, last_modified=T0 + 0.7)

    def test_no_conditions(self) -> None:
        """Without conditional headers the request proceeds."""
        assert self._eval() is None

    @pytest.mark.parametrize(
        "value",
        [ETAG, ETAG.strip('"'), ETAG.lower(), "*", '"X", ' + ETAG, "W/" + ETAG],
    )
    def test_if_match_passes(self, value: str) -> None:
        """Quotes and case are ignored; * and lists match."""
        assert self._eval(If_Match=value) is None

    def test_if_match_fails(self) -> None:
        """A different ETag is 412 with Condition If-Match."""
        with pytest.raises(PreconditionFailed) as info:
            self._eval(If_Match='"OTHER"')
        assert info.value.details == {"Condition": "If-Match"}

    def test_if_match_before_if_none_match(self) -> None:
        """A failing If-Match wins over a matching If-None-Match."""
        with pytest.raises(PreconditionFailed):
            self._eval(If_Match='"OTHER"', If_None_Match=ETAG)

    def test_if_unmodified_since(self) -> None:
        """Modified after the date: 412; at the same second: proceed."""
        with pytest.raises(PreconditionFailed) as info:
            self._eval(If_Unmodified_Since=H.http_date(T0 - 1))
        assert info.value.details == {"Condition": "If-Unmodified-Since"}
        assert self._eval(If_Unmodified_Since=H.http_date(T0)) is None

    def test_if_unmodified_since_ignored_with_if_match(self) -> None:
        """If-Unmodified-Since is not evaluated when If-Match is present."""
        assert self._eval(If_Match=ETAG, If_Unmodified_Since=H.http_date(T0 - 100)) is None

    def test_if_none_match(self) -> None:
        """A matching ETag is 304; another proceeds."""
        assert self._eval(If_None_Match=ETAG.strip('"').lower()) == 304
        assert self._eval(If_None_Match="*") == 304
        assert self._eval(If_None_Match='"OTHER"') is None

    def test_if_modified_since(self) -> None:
        """Not modified since the date (second granularity): 304; modified: proceed."""
        assert self._eval(If_Modified_Since=H.http_date(T0)) == 304
        assert self._eval(If_Modified_Since=H.http_date(T0 + 10)) == 304
        assert self._eval(If_Modified_Since=H.http_date(T0 - 1)) is None

    def test_if_none_match_overrides_if_modified_since(self) -> None:
        """With If-None-Match present, If-Modified-Since is ignored."""
        assert self._eval(If_None_Match='"OTHER"', If_Modified_Since=H.http_date(T0)) is None
        assert self._eval(If_None_Match=ETAG, If_Modified_Since=H.http_date(T0 - 100)) == 304

    def test_unmodified_check_before_not_modified(self) -> None:
        """412 from If-Unmodified-Since comes before 304 from If-None-Match."""
        with pytest.raises(PreconditionFailed):
            self._eval(If_Unmodified_Since=H.http_date(T0 - 1), If_None_Match=ETAG)

    def test_invalid_dates_ignored(self) -> None:
        """Unparsable dates are ignored."""
        assert self._eval(If_Modified_Since="soon", If_Unmodified_Since="never") is None

    def test_header_names_any_case(self) -> None:
        """Header names are matched case-insensitively."""
        assert H.evaluate_conditions({"IF-NONE-MATCH": ETAG}, etag=ETAG, last_modified=T0) == 304

    @given(
        st.dictionaries(
            st.sampled_from(
                ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]
            ),
            st.text(),
        )
    )
    def test_total(self, headers: dict[str, str]) -> None:
        """Any values give None, 304 or PreconditionFailed."""
        try:
            assert H.evaluate_conditions(headers, etag=ETAG, last_modified=T0) in (None, 304)
        except PreconditionFailed:
            pass


class TestObjectAttrs:
    """object_attrs_from_headers (§9.5, A2)."""

    def test_explicit_content_type_and_headers(self) -> None:
        """Content-Type, stored headers and user meta are kept; meta names lower-cased, in order."""
        attrs = H.object_attrs_from_headers(
            {
                "content-type": "text/html",
                "X-OSS-Meta-Zeta": "1",
                "cache-control": "no-cache",
                "x-oss-meta-alpha": "two words",
                "Content-Disposition": "attachment",
                "expires": "Thu, 01 Jan 2026 00:00:00 GMT",
                "content-length": "5",
                "x-oss-storage-class": "IA",
            },
            "k.bin",
        )
        assert attrs.content_type == "text/html"
        assert attrs.user_meta == (("x-oss-meta-zeta", "1"), ("x-oss-meta-alpha", "two words"))
        assert attrs.headers == (
            ("Cache-Control", "no-cache"),
            ("Content-Disposition", "attachment"),
            ("Expires", "Thu, 01 Jan 2026 00:00:00 GMT"),
        )
        assert attrs.storage_class == "IA"

    @pytest.mark.parametrize(
        ("key", "expected"),
        [
            ("a.txt", "text/plain"),
            ("dir/x.json", "application/json"),
            ("photo.JPG", "image/jpeg"),
            ("noext", "application/octet-stream"),
            ("a.unknownext", "application/octet-stream"),
            ("dir.d/", "application/octet-stream"),
        ],
    )
    def test_content_type_by_extension(self, key: str, expected: str) -> None:
        """Without Content-Type the key's extension decides, else application/octet-stream."""
        assert H.object_attrs_from_headers({}, key).content_type == expected
        assert H.object_attrs_from_headers({"Content-Type": ""}, key).content_type == expected

    def test_defaults(self) -> None:
        """No headers: Standard storage, nothing stored."""
        attrs = H.object_attrs_from_headers({}, "k")
        assert attrs == ObjectAttrs()

    def test_bad_storage_class(self) -> None:
        """An unknown storage class is InvalidArgument."""
        with pytest.raises(InvalidArgument):
            H.object_attrs_from_headers({"x-oss-storage-class": "Gold"}, "k")


class TestObjectResponseHeaders:
    """object_response_headers (§9.5)."""

    def test_normal(self) -> None:
        """A Normal object answers its metadata, Content-MD5, stored headers and user meta."""
        meta = _meta(
            content_type="text/plain",
            headers=(("Cache-Control", "no-cache"),),
            user_meta=(("x-oss-meta-a", "1"),),
        )
        headers = H.object_response_headers(meta)
        assert headers == [
            ("Content-Type", "text/plain"),
            ("ETag", ETAG),
            ("Last-Modified", "Tue, 25 Nov 2025 19:56:42 GMT"),
            ("Accept-Ranges", "bytes"),
            ("x-oss-object-type", "Normal"),
            ("x-oss-storage-class", "Standard"),
            ("x-oss-hash-crc64ecma", "11051210869376104954"),
            ("Content-MD5", base64.b64encode(bytes(range(16))).decode()),
            ("Cache-Control", "no-cache"),
            ("x-oss-meta-a", "1"),
        ]

    def test_multipart_and_appendable(self) -> None:
        """No Content-MD5 for Multipart/Appendable; Appendable adds the next position."""
        multipart = dict(H.object_response_headers(_meta("Multipart")))
        assert "Content-MD5" not in multipart
        assert "x-oss-next-append-position" not in multipart
        appendable = dict(H.object_response_headers(_meta("Appendable")))
        assert "Content-MD5" not in appendable
        assert appendable["x-oss-next-append-position"] == "11"

    def test_sdks_read_them(self) -> None:
        """oss2's and v2's HeadObject results read every field."""
        meta = _meta(user_meta=(("x-oss-meta-author", "alice"),))
        headers = CaseInsensitiveDict(H.object_response_headers(meta))

        class Response:
            status = 200
            request_id = "R"

        Response.headers = headers  # type: ignore[attr-defined]
        result = oss2.models.HeadObjectResult(Response)
        assert result.last_modified == int(T0)
        assert result.etag == ETAG.strip('"')
        assert result.object_type == "Normal"
        v2 = v2_models.HeadObjectResult()
        serde.deserialize_output(
            v2,
            OperationOutput(status="OK", status_code=200, headers=headers),
            custom_deserializer=[serde.deserialize_output_headers],
        )
        assert v2.metadata == {"author": "alice"}
        assert v2.hash_crc64 == "11051210869376104954"
        assert v2.last_modified.timestamp() == T0
        assert v2.content_md5 == base64.b64encode(bytes(range(16))).decode()


class TestResponseOverrides:
    """response_overrides maps response-* query parameters (§9.5)."""

    def test_mapping(self) -> None:
        """Every documented parameter maps to its header; others are ignored; last value wins."""
        query = [
            ("response-content-type", "a/b"),
            ("response-cache-control", "no-cache"),
            ("x", "y"),
            ("response-content-language", "en"),
            ("response-expires", "0"),
            ("response-content-disposition", "inline"),
            ("response-content-encoding", "gzip"),
            ("response-content-type", "c/d"),
        ]
        assert H.response_overrides(query) == [
            ("Content-Type", "c/d"),
            ("Cache-Control", "no-cache"),
            ("Content-Language", "en"),
            ("Expires", "0"),
            ("Content-Disposition", "inline"),
            ("Content-Encoding", "gzip"),
        ]
