"""Tests for emulator.protocol.names: bucket names (§1.3) and object keys."""

from __future__ import annotations

import oss2.utils
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import InvalidBucketName, InvalidObjectName
from emulator.protocol.names import validate_bucket_name, validate_object_key


class TestBucketNames:
    """validate_bucket_name follows rest-api.md §1.3."""

    @pytest.mark.parametrize("name", ["abc", "a-b", "b12", "123", "a" * 63, "my-bucket-2026"])
    def test_valid(self, name: str) -> None:
        """Lower-case letters, digits and inner hyphens, 3 to 63 characters."""
        validate_bucket_name(name)

    @pytest.mark.parametrize(
        "name",
        [
            "",
            "ab",
            "a" * 64,
            "-ab",
            "ab-",
            "Abc",
            "a_b",
            "a.b",
            "_emulator",
            "ab c",
            "ăbc",
            "abc\n",
        ],
    )
    def test_invalid(self, name: str) -> None:
        """Everything else is InvalidBucketName carrying the name."""
        with pytest.raises(InvalidBucketName) as info:
            validate_bucket_name(name)
        assert info.value.details == {"BucketName": name}

    @given(st.text(max_size=70))
    def test_agrees_with_oss2(self, name: str) -> None:
        """oss2's own client-side check accepts exactly the same names."""
        try:
            validate_bucket_name(name)
        except InvalidBucketName:
            assert not oss2.utils.is_valid_bucket_name(name)
        else:
            assert oss2.utils.is_valid_bucket_name(name)


class TestObjectKeys:
    """validate_object_key follows OSS's object naming conventions."""

    @pytest.mark.parametrize(
        "key",
        [
            "a",
            "dir/",
            "a/../b",
            "..",
            "a//b",
            " lead and trail ",
            "中文/ключ/🙂",
            "a+b%20c?d#e&f",
            "tab\tcr\rlf\n",
            "x" * 1023,
            "é" * 511,
        ],
    )
    def test_accepted(self, key: str) -> None:
        """Dots, inner double slashes, spaces, unicode, trailing slashes are fine."""
        validate_object_key(key)

    @pytest.mark.parametrize(
        ("key", "ec"),
        [
            ("", "0016-00000001"),
            ("/a", "0016-00000005"),
            ("\\a", "0016-00000005"),
            ("x" * 1024, "0016-00000002"),
            ("é" * 512, "0016-00000002"),
            ("a\x00b", "0016-00000002"),
            ("a\x01", "0016-00000002"),
            ("a\ud800", "0016-00000002"),
            ("a\ufffe", "0016-00000002"),
        ],
    )
    def test_refused(self, key: str, ec: str) -> None:
        """Empty, leading slash or backslash, over 1023 bytes, not XML-representable."""
        with pytest.raises(InvalidObjectName) as info:
            validate_object_key(key)
        assert info.value.error_ec == ec

    @given(st.text(max_size=1100))
    def test_total(self, key: str) -> None:
        """Any string is accepted or refused with InvalidObjectName."""
        try:
            validate_object_key(key)
        except InvalidObjectName:
            pass
        else:
            assert 1 <= len(key.encode("utf-8")) <= 1023
