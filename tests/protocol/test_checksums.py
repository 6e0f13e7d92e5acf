"""CRC-64/XZ and ETag helpers against the golden vectors and their algebra (rest-api §9.2-§9.4)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import InvalidDigest
from emulator.protocol.checksums import (
    Crc64,
    appendable_etag,
    crc64,
    crc64_combine,
    etag_from_md5,
    etag_matches,
    multipart_etag,
    parse_content_md5,
)
from tests.conftest import load_vectors

VECTORS = load_vectors("crc64.json")


class TestCrc64Vectors:
    """Every vector of fixtures/vectors/crc64.json."""

    @pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["id"])
    def test_one_shot_matches_vector(self, vector: dict[str, object]) -> None:
        """crc64 of the input equals the recorded value and header."""
        data = bytes.fromhex(str(vector["input_hex"]))
        assert data == str(vector["input_utf8"]).encode()
        assert len(data) == vector["length"]
        assert crc64(data) == int(str(vector["crc64"]))
        assert f"{crc64(data):016X}" == vector["crc64_hex"]
        assert str(crc64(data)) == vector["header"]["x-oss-hash-crc64ecma"]  # type: ignore[index]

    @pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["id"])
    def test_streaming_matches_vector(self, vector: dict[str, object]) -> None:
        """Feeding the input byte by byte gives the same value."""
        hasher = Crc64()
        for byte in bytes.fromhex(str(vector["input_hex"])):
            hasher.update(bytes([byte]))
        assert hasher.value == int(str(vector["crc64"]))

    @pytest.mark.parametrize("case", VECTORS["combine"], ids=lambda c: c["id"])
    def test_combine_matches_vector(self, case: dict[str, object]) -> None:
        """combine(crc1, crc2, len2) equals the recorded value and the CRC of the whole."""
        part1, part2 = str(case["part1_utf8"]).encode(), str(case["part2_utf8"]).encode()
        crc1, crc2 = int(str(case["crc1"])), int(str(case["crc2"]))
        assert (crc64(part1), crc64(part2), len(part2)) == (crc1, crc2, case["len2"])
        combined = crc64_combine(crc1, crc2, len(part2))
        assert combined == int(str(case["combined"])) == crc64(part1 + part2)
        assert f"{combined:016X}" == case["combined_hex"]

    def test_check_value_of_parameters(self) -> None:
        """The catalogue check value for "123456789" holds."""
        assert crc64(b"123456789") == int(VECTORS["parameters"]["check"], 16)


class TestCrc64Algebra:
    """Properties that multipart and append rely on."""

    @given(st.binary(), st.binary())
    def test_combine_equals_crc_of_concatenation(self, a: bytes, b: bytes) -> None:
        """crc64(a + b) == crc64_combine(crc64(a), crc64(b), len(b))."""
        assert crc64(a + b) == crc64_combine(crc64(a), crc64(b), len(b))

    @given(st.lists(st.binary(max_size=64), max_size=8))
    def test_streaming_equals_one_shot(self, chunks: list[bytes]) -> None:
        """Crc64 fed chunk by chunk equals crc64 of the joined bytes."""
        hasher = Crc64()
        for chunk in chunks:
            hasher.update(chunk)
        assert hasher.value == crc64(b"".join(chunks))

    @given(st.binary(), st.binary())
    def test_init_continues_a_crc(self, a: bytes, b: bytes) -> None:
        """crc64(b, init=crc64(a)) is the CRC of a + b."""
        assert crc64(b, crc64(a)) == crc64(a + b)

    def test_values_are_unsigned_64_bit(self) -> None:
        """Results fit in an unsigned 64-bit integer, including the top bit."""
        value = crc64(b"123456789")
        assert value >= 1 << 63 and value < 1 << 64


class TestEtags:
    """ETag construction and comparison (R2)."""

    def test_single_part_etag(self) -> None:
        """The documented example for "hello world"."""
        md5 = hashlib.md5(b"hello world").digest()
        assert etag_from_md5(md5) == '"5EB63BBBE01EEED093CB22BB8F5ACDC3"'

    def test_multipart_etag_example(self) -> None:
        """Parts "hello " and "world" give the documented multipart ETag."""
        md5s = [hashlib.md5(b"hello ").digest(), hashlib.md5(b"world").digest()]
        assert multipart_etag(md5s) == '"E09E4FD6265B36115FE3DB32DF945D84-2"'

    def test_multipart_etag_counts_parts(self) -> None:
        """The suffix is the part count."""
        assert multipart_etag([hashlib.md5(b"x").digest()] * 3).endswith('-3"')

    def test_appendable_etag_depends_on_crc_and_size(self) -> None:
        """The Appendable ETag is quoted uppercase hex and changes with CRC and size."""
        etag = appendable_etag(crc64(b"abc"), 3)
        assert len(etag) == 34 and etag == etag.upper() and etag.startswith('"')
        assert etag != appendable_etag(crc64(b"abc"), 4)
        assert etag != appendable_etag(crc64(b"abd"), 3)

    @pytest.mark.parametrize(
        ("a", "b", "equal"),
        [
            ('"5EB63BBBE01EEED093CB22BB8F5ACDC3"', "5eb63bbbe01eeed093cb22bb8f5acdc3", True),
            ('"E09E4FD6265B36115FE3DB32DF945D84-2"', '"e09e4fd6265b36115fe3db32df945d84-2"', True),
            ("ABC", '"ABC"', True),
            ('"ABC"', '"ABD"', False),
            ('"ABC-2"', '"ABC"', False),
        ],
    )
    def test_etag_matches_ignores_quotes_and_case(self, a: str, b: str, equal: bool) -> None:
        """Comparison is without quotes and case-insensitive."""
        assert etag_matches(a, b) is equal


class TestParseContentMd5:
    """Content-MD5 header parsing (§9.4, G12)."""

    def test_empty_body_md5(self) -> None:
        """The documented MD5 of the empty body decodes to md5(b"")."""
        assert parse_content_md5("1B2M2Y8AsgTpgAmY7PhCfg==") == hashlib.md5(b"").digest()

    @given(st.binary(min_size=16, max_size=16))
    def test_round_trip(self, digest: bytes) -> None:
        """Base64 of any 16 bytes decodes back to them."""
        assert parse_content_md5(base64.b64encode(digest).decode()) == digest

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "not base64!",
            "1B2M2Y8AsgTpgAmY7PhCfg",
            "AAAA",
            base64.b64encode(b"x" * 17).decode(),
            "1B2M2Y8AsgTpgAmY7PhCfg==\n",
            "ÿÿÿÿ",
        ],
    )
    def test_rejects_invalid_values(self, value: str) -> None:
        """Anything but Base64 of exactly 16 bytes is InvalidDigest."""
        with pytest.raises(InvalidDigest):
            parse_content_md5(value)

    @given(st.text(max_size=40))
    def test_total(self, value: str) -> None:
        """Arbitrary text gives 16 bytes or InvalidDigest, never another exception."""
        try:
            assert len(parse_content_md5(value)) == 16
        except InvalidDigest:
            pass
